// The COPY text encoder against everything a client can send: every byte
// value, random byte strings, long values. What it writes must be COPY text
// that PostgreSQL accepts; it must decode to the input wherever PostgreSQL can
// hold the input, and otherwise to the input escaped (every byte PostgreSQL
// cannot hold as \xHH, every backslash doubled), saying so.

#include "copy_text.hpp"
#include "row_encoder.hpp"
#include "stored_form.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

using trace::append_copy_text;
using trace::valid_utf8_prefix;

namespace {

// Decodes one COPY text field as PostgreSQL does; fails the test on anything
// PostgreSQL would reject (raw newline, CR or tab, a NUL, invalid UTF-8 after
// decoding).
std::string decode_field(const std::string &field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        EXPECT_NE(c, '\n') << "raw newline in field";
        EXPECT_NE(c, '\r') << "raw carriage return in field";
        EXPECT_NE(c, '\t') << "raw tab in field (a delimiter)";
        EXPECT_NE(c, '\0') << "NUL in field";
        if (c != '\\') {
            out += c;
            continue;
        }
        EXPECT_LT(i + 1, field.size()) << "field ends in a lone backslash";
        char e = field[++i];
        switch (e) {
        case '\\': out += '\\'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        default:
            ADD_FAILURE() << "unexpected escape \\" << e;
        }
    }
    EXPECT_EQ(valid_utf8_prefix(out), out.size()) << "decoded field is not valid UTF-8";
    EXPECT_EQ(out.find('\0'), std::string::npos);
    return out;
}

std::string encode(const std::string &in, std::size_t limit = SIZE_MAX, bool *escaped = nullptr) {
    std::string out;
    bool e = append_copy_text(out, in, limit);
    if (escaped != nullptr) {
        *escaped = e;
    }
    return out;
}

bool holdable(const std::string &in) {
    return valid_utf8_prefix(in) == in.size();
}

// What the stored text should be: the input itself where PostgreSQL can hold
// it; else the input with every backslash doubled and every byte PostgreSQL
// cannot hold written as \xHH.
std::string expected_storage(const std::string &in) {
    return holdable(in) ? in : trace_test::escaped_form(in);
}

// The bytes an escaped value stands for: \\ is a backslash, \xHH a byte.
std::string unescape(const std::string &stored) {
    std::string out;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (stored[i] != '\\') {
            out += stored[i];
        } else if (stored[i + 1] == '\\') {
            out += '\\';
            ++i;
        } else {
            EXPECT_EQ(stored[i + 1], 'x') << "a lone backslash in an escaped value";
            out += static_cast<char>(std::stoi(stored.substr(i + 2, 2), nullptr, 16));
            i += 3;
        }
    }
    return out;
}

// Encodes, checks the escaped flag against the input, and returns the stored
// text; an escaped one must decode back to the input.
std::string stored(const std::string &in) {
    bool escaped = false;
    std::string text = decode_field(encode(in, SIZE_MAX, &escaped));
    EXPECT_EQ(escaped, !holdable(in)) << "escaped flag";
    if (escaped) {
        EXPECT_EQ(unescape(text), in) << "the escaped value decodes to the input";
    }
    return text;
}

}  // namespace

TEST(CopyText, EveryByteValueAlone) {
    for (int b = 0; b < 256; ++b) {
        std::string in(1, static_cast<char>(b));
        std::string decoded = stored(in);
        if (b == 0 || b >= 0x80) {
            char buf[5];
            std::snprintf(buf, sizeof(buf), "\\x%02x", b);
            EXPECT_EQ(decoded, buf) << "byte " << b;
        } else {
            EXPECT_EQ(decoded, in) << "byte " << b;
        }
    }
}

TEST(CopyText, EveryByteValueInContext) {
    for (int b = 0; b < 256; ++b) {
        std::string in = "a\\b\t";
        in += static_cast<char>(b);
        in += "\xC3\xA9z";
        EXPECT_EQ(stored(in), expected_storage(in)) << "byte " << b;
    }
}

TEST(CopyText, ReadsBackAsSentWherePostgresCanHoldIt) {
    const std::string samples[] = {
        "plain",
        "quotes ' and \" and `",
        "back\\slash\\\\ and \\N and \\.",
        "tab\tnewline\ncr\r",
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",  // é € 😀
        "\x01\x02\x1b[31mred\x7f",
    };
    for (const auto &s : samples) {
        bool escaped = true;
        EXPECT_EQ(decode_field(encode(s, SIZE_MAX, &escaped)), s);
        EXPECT_FALSE(escaped) << s;
    }
}

TEST(CopyText, InvalidUtf8IsVisiblyEscaped) {
    EXPECT_EQ(stored("a\xFF" "b"), "a\\xffb");
    EXPECT_EQ(stored("\xC0\xAF"), "\\xc0\\xaf");          // overlong '/'
    EXPECT_EQ(stored("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // surrogate
    EXPECT_EQ(stored("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
    EXPECT_EQ(stored("\xE2\x82"), "\\xe2\\x82");          // truncated
    EXPECT_EQ(stored(std::string("x\0y", 3)), "x\\x00y");
}

// The point of the scheme: the four characters \xff and the byte 0xff are
// stored differently, and only the second is marked escaped.
TEST(CopyText, ForgedEscapeIsToldApartFromARealOne) {
    bool forged_escaped = true, real_escaped = false;
    std::string forged = decode_field(encode("\\xff", SIZE_MAX, &forged_escaped));
    std::string real = decode_field(encode("\xff", SIZE_MAX, &real_escaped));
    EXPECT_EQ(forged, "\\xff");
    EXPECT_FALSE(forged_escaped);
    EXPECT_EQ(real, "\\xff");
    EXPECT_TRUE(real_escaped);
    // With both in one value, the value is escaped and its backslash doubled.
    EXPECT_EQ(stored("\\xff\xff"), "\\\\xff\\xff");
    EXPECT_EQ(stored(std::string("\\\0", 2)), "\\\\\\x00");
}

TEST(CopyText, RandomByteStrings) {
    std::mt19937_64 rng(20261127);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 300);
    for (int round = 0; round < 20000; ++round) {
        std::string in(static_cast<std::size_t>(len(rng)), '\0');
        for (auto &c : in) {
            c = static_cast<char>(byte(rng));
        }
        EXPECT_EQ(stored(in), expected_storage(in));
    }
}

TEST(CopyText, RandomMostlyUtf8Strings) {
    std::mt19937_64 rng(7);
    const std::string alphabet[] = {"a", "\\", "\t", "\n", "\xC3\xA9", "\xE2\x82\xAC",
                                    "\xF0\x9F\x98\x80", "\xFF", std::string(1, '\0'), "\xE2"};
    std::uniform_int_distribution<int> pick(0, 9), len(0, 100);
    for (int round = 0; round < 5000; ++round) {
        std::string in;
        for (int i = len(rng); i > 0; --i) {
            in += alphabet[pick(rng)];
        }
        EXPECT_EQ(stored(in), expected_storage(in));
    }
}

TEST(CopyText, LongValuesAreKeptWhole) {
    std::string uri(8192, 'a');
    EXPECT_EQ(decode_field(encode(uri)), uri);
}

TEST(CopyText, CutAtLimitOnACharacterBoundaryWithEllipsis) {
    EXPECT_EQ(decode_field(encode("abcdef", 3)), "abc\xE2\x80\xA6");
    // "é" is two bytes; a cut in its middle leaves it out whole
    EXPECT_EQ(decode_field(encode("ab\xC3\xA9", 3)), "ab\xE2\x80\xA6");
    EXPECT_EQ(decode_field(encode("abc", 3)), "abc");
}

// Whether a cut value is escaped depends on what is kept: the cut comes first.
TEST(CopyText, CutDecidesWhatIsEscaped) {
    bool escaped = true;
    // the byte beyond the cut is gone: the rest is stored as it is
    EXPECT_EQ(decode_field(encode("a\\b\xFF", 3, &escaped)), "a\\b\xE2\x80\xA6");
    EXPECT_FALSE(escaped);
    // within the cut: escaped, backslash doubled, still cut whole and marked
    EXPECT_EQ(decode_field(encode("a\\\xFF" "bcd", 3, &escaped)), "a\\\\\\xff\xE2\x80\xA6");
    EXPECT_TRUE(escaped);
    // a character straddling the cut is left out whole, escaped or not
    EXPECT_EQ(decode_field(encode("\xFF\xC3\xA9", 2, &escaped)), "\\xff\xE2\x80\xA6");
    EXPECT_TRUE(escaped);
    // 512 bytes that all need escaping stay under a btree entry's 2,704 bytes
    std::string worst(600, '\xFF');
    std::string field = decode_field(encode(worst, trace::indexed_text_limit, &escaped));
    EXPECT_TRUE(escaped);
    EXPECT_EQ(field.size(), 4 * trace::indexed_text_limit + 3);
    EXPECT_LT(field.size(), 2704u);
}

// A field is appended to what is there; an escaped one replaces only its own
// first attempt.
TEST(CopyText, AppendsAfterWhatIsThere) {
    std::string out = "x\t";
    EXPECT_TRUE(append_copy_text(out, "ab\\\xFF"));
    EXPECT_EQ(out, "x\tab\\\\\\\\\\\\xff");
    EXPECT_FALSE(append_copy_text(out, "\tc"));
    EXPECT_EQ(out, "x\tab\\\\\\\\\\\\xff\\tc");
}

TEST(CopyText, Numbers) {
    std::string out;
    trace::append_copy_int(out, 0);
    out += ' ';
    trace::append_copy_int(out, -42);
    out += ' ';
    trace::append_copy_int(out, INT64_MIN);
    out += ' ';
    trace::append_copy_int(out, INT64_MAX);
    EXPECT_EQ(out, "0 -42 -9223372036854775808 9223372036854775807");
}

TEST(CopyText, TimestampsAndDurations) {
    std::string out;
    trace::append_copy_timestamp(out, 1795758172123456LL);  // 2026-11-27 05:42:52.123456 UTC
    EXPECT_EQ(out, "2026-11-27 05:42:52.123456+00");
    out.clear();
    trace::append_copy_timestamp(out, 0);
    EXPECT_EQ(out, "1970-01-01 00:00:00.000000+00");
    out.clear();
    trace::append_copy_seconds(out, 1234);
    EXPECT_EQ(out, "0.001234");
    out.clear();
    trace::append_copy_seconds(out, 61000001);
    EXPECT_EQ(out, "61.000001");
    out.clear();
    trace::append_copy_seconds(out, -5);
    EXPECT_EQ(out, "0.000000");
}

// Found by the row_encoder fuzz target: inet_pton() stops at a NUL, so
// "::1\0junk" passed as an address and its NUL reached the COPY row.
TEST(CopyText, InetIsAnAddressOrNull) {
    std::string out;
    trace::append_copy_inet(out, "192.0.2.1");
    out += ' ';
    trace::append_copy_inet(out, "::ffff:192.0.2.1");
    out += ' ';
    trace::append_copy_inet(out, "unix:");
    out += ' ';
    trace::append_copy_inet(out, std::string_view("::1\0junk", 8));
    out += ' ';
    trace::append_copy_inet(out, "");
    EXPECT_EQ(out, "192.0.2.1 ::ffff:192.0.2.1 \\N \\N \\N");
}
