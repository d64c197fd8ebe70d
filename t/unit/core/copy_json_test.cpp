// trace_field values as a jsonb field of COPY text: what is written must be
// COPY text whose decoded form is a JSON object PostgreSQL's jsonb accepts
// (valid UTF-8, no \u0000), whatever the values' bytes; values without a byte
// PostgreSQL cannot hold read back exactly, the others escaped as sql/0003
// says (bytes as \xHH, backslashes doubled), each on its own and named
// fields.NAME in the row's escaped column.

#include "copy_json.hpp"
#include "copy_text.hpp"
#include "row_encoder.hpp"
#include "stored_form.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

trace_str_t str(const std::string &s) {
    return {reinterpret_cast<const unsigned char *>(s.data()), s.size()};
}

trace_str_t str(const char *s) {
    return {reinterpret_cast<const unsigned char *>(s), std::strlen(s)};
}

struct Fields {
    std::vector<std::string> names, values;
    std::vector<trace_field_t> array;

    Fields(std::initializer_list<std::pair<std::string, std::string>> list) {
        for (const auto &[n, v] : list) {
            names.push_back(n);
            values.push_back(v);
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            array.push_back({str(names[i]), str(values[i])});
        }
    }
};

// COPY text to the text PostgreSQL stores; fails on what COPY would refuse.
std::string copy_decode(const std::string &field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        EXPECT_NE(c, '\n');
        EXPECT_NE(c, '\r');
        EXPECT_NE(c, '\t');
        EXPECT_NE(c, '\0');
        if (c != '\\') {
            out += c;
            continue;
        }
        EXPECT_LT(i + 1, field.size());
        char e = field[++i];
        if (e == '\\') {
            out += '\\';
        } else {
            ADD_FAILURE() << "unexpected COPY escape \\" << e;
        }
    }
    return out;
}

struct Encoded {
    std::string field;
    std::uint32_t escaped;  // bit k: fields[k] stored escaped
};

Encoded encode(const Fields &f, std::size_t max_value = TRACE_FIELD_VALUE_MAX) {
    Encoded e;
    e.escaped = trace::append_copy_fields(e.field, f.array.data(), f.array.size(), max_value);
    return e;
}

// The object jsonb would hold: parsed strictly, no \u0000, valid UTF-8.
nlohmann::json parse(const std::string &field) {
    std::string text = copy_decode(field);
    EXPECT_EQ(trace::valid_utf8_prefix(text), text.size()) << "not UTF-8: " << text;
    EXPECT_EQ(text.find("\\u0000"), std::string::npos) << "jsonb refuses \\u0000";
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
    EXPECT_TRUE(j.is_object()) << text;
    return j;
}

using trace_test::escaped_form;

}  // namespace

TEST(CopyJson, NoFieldsIsNull) {
    Fields none{};
    EXPECT_EQ(encode(none).field, "\\N");
    Fields empty{{"a", ""}, {"b", ""}};
    Encoded e = encode(empty);
    EXPECT_EQ(e.field, "\\N") << "empty values are left out";
    EXPECT_EQ(e.escaped, 0u);
}

TEST(CopyJson, PlainValues) {
    Fields f{{"country", "DE"}, {"xff", "192.0.2.1, 10.0.0.1"}, {"empty", ""}};
    Encoded e = encode(f);
    EXPECT_EQ(e.field, R"({"country":"DE","xff":"192.0.2.1, 10.0.0.1"})");
    EXPECT_EQ(e.escaped, 0u);
}

TEST(CopyJson, JsonAndCopyEscapesNest) {
    Fields f{{"v", "q\"b\\t\tn\nc\x01\x1f\x7f"}};
    Encoded e = encode(f);
    // JSON: q\"b\\t\u0009n\u000ac\u0001\u001f<DEL>; then COPY doubles each backslash.
    EXPECT_EQ(e.field, "{\"v\":\"q\\\\\"b\\\\\\\\t\\\\u0009n\\\\u000ac\\\\u0001\\\\u001f\x7f\"}");
    EXPECT_EQ(e.escaped, 0u);
    EXPECT_EQ(parse(e.field)["v"], "q\"b\\t\tn\nc\x01\x1f\x7f");
}

TEST(CopyJson, Utf8IsKept) {
    std::string v = "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8";
    Fields f{{"v", v}};
    Encoded e = encode(f);
    EXPECT_EQ(e.escaped, 0u);
    EXPECT_EQ(parse(e.field)["v"], v);
}

TEST(CopyJson, OnlyAValueWithAnUnholdableByteIsEscaped) {
    Fields f{{"a", "back\\slash"}, {"b", std::string("nul\0b\\yte", 9)}, {"c", "caf\xe9"}};
    Encoded e = encode(f);
    EXPECT_EQ(e.escaped, 0b110u);
    nlohmann::json j = parse(e.field);
    EXPECT_EQ(j["a"], "back\\slash") << "exact: the other values change nothing";
    EXPECT_EQ(j["b"], "nul\\x00b\\\\yte") << "escaped: its backslash doubled";
    EXPECT_EQ(j["c"], "caf\\xe9");
    std::string names;
    trace::append_escaped_field_names(names, f.array.data(), e.escaped, true);
    EXPECT_EQ(names, "fields.b,fields.c");
    names = "path";
    trace::append_escaped_field_names(names, f.array.data(), e.escaped, false);
    EXPECT_EQ(names, "path,fields.b,fields.c");
}

TEST(CopyJson, NamesNginxWouldRefuseAreLeftOut) {
    Fields f{{"ok_1", "x"}, {"Bad", "x"}, {"a-b", "x"}, {"", "x"}, {std::string(65, 'n'), "x"},
             {std::string(64, 'n'), "y"}, {std::string("n\0", 2), "x"}, {"q\"", "x"}};
    nlohmann::json j = parse(encode(f).field);
    EXPECT_EQ(j.size(), 2u);
    EXPECT_EQ(j["ok_1"], "x");
    EXPECT_EQ(j[std::string(64, 'n')], "y");
}

TEST(CopyJson, AtMostSixteenFieldsAreRead) {
    std::vector<std::string> names;
    for (int i = 0; i < 20; ++i) {
        names.push_back("f" + std::to_string(i));
    }
    std::string bad("\xff");
    std::vector<trace_field_t> fields;
    for (const std::string &n : names) {
        fields.push_back({str(n), str(bad)});
    }
    std::string out;
    std::uint32_t escaped = trace::append_copy_fields(out, fields.data(), fields.size());
    EXPECT_EQ(parse(out).size(), static_cast<std::size_t>(TRACE_FIELDS_MAX));
    EXPECT_EQ(escaped, (std::uint32_t{1} << TRACE_FIELDS_MAX) - 1);
}

TEST(CopyJson, LongValuesAreCutBetweenCharacters) {
    Fields ascii{{"v", std::string(600, 'a')}};
    EXPECT_EQ(parse(encode(ascii).field)["v"], std::string(512, 'a') + "\xe2\x80\xa6");
    Fields exact{{"v", std::string(512, 'b')}};
    EXPECT_EQ(parse(encode(exact).field)["v"], std::string(512, 'b'));
    Fields straddle{{"v", std::string(511, 'c') + "\xc3\xa9" + "dd"}};
    Encoded e = encode(straddle);
    EXPECT_EQ(e.escaped, 0u) << "a character across the cut is valid, not escaped";
    EXPECT_EQ(parse(e.field)["v"], std::string(511, 'c') + "\xe2\x80\xa6");
    Fields four{{"v", std::string(510, 'c') + "\xf0\x9f\x98\x80"}};
    EXPECT_EQ(parse(encode(four).field)["v"], std::string(510, 'c') + "\xe2\x80\xa6");
    Fields beyond{{"v", std::string(512, 'd') + "\xff"}};
    e = encode(beyond);
    EXPECT_EQ(e.escaped, 0u) << "a bad byte in the part cut off does not count";
    EXPECT_EQ(parse(e.field)["v"], std::string(512, 'd') + "\xe2\x80\xa6");
}

TEST(CopyJson, RandomBytesAlwaysMakeAnObjectJsonbTakes) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 40), pick(0, 9);
    const std::string specials = std::string("\"\\\x00\x01\x7f\xc3\xa9\xe2\x80\xf0\x9f\xff\xed\xa0", 15);
    for (int round = 0; round < 5000; ++round) {
        std::vector<std::string> values(3);
        for (std::string &v : values) {
            int n = len(rng);
            for (int k = 0; k < n; ++k) {
                v += pick(rng) < 5 ? specials[static_cast<std::size_t>(byte(rng)) % specials.size()]
                                   : static_cast<char>(byte(rng));
            }
        }
        Fields f{{"a", values[0]}, {"b", values[1]}, {"c", values[2]}};
        Encoded e = encode(f, 16);
        if (e.field == "\\N") {
            EXPECT_TRUE(values[0].empty() && values[1].empty() && values[2].empty());
            continue;
        }
        nlohmann::json j = parse(e.field);
        const char *names[] = {"a", "b", "c"};
        for (std::size_t k = 0; k < 3; ++k) {
            const std::string &v = values[k];
            // What is kept: the first 16 bytes, a character across the cut
            // read whole to tell it from an invalid one.
            std::size_t keep = v.size() > 16 ? 16 : v.size();
            bool unholdable =
                trace::valid_utf8_prefix(std::string_view(v).substr(0, std::min(v.size(), keep + 3))) <
                keep;
            bool escaped = (e.escaped >> k) & 1;
            EXPECT_EQ(escaped, unholdable && !v.empty());
            if (v.empty()) {
                EXPECT_FALSE(j.contains(names[k]));
                continue;
            }
            std::string got = j[names[k]];
            if (v.size() <= 16) {
                EXPECT_EQ(got, escaped ? escaped_form(v) : v);
            } else {
                EXPECT_EQ(got.substr(got.size() - 3), "\xe2\x80\xa6");
            }
        }
    }
}

TEST(RequestRow, AccessLogColumnsAndFieldsNamedInEscaped) {
    trace::RowEncoder enc("web-1", "");
    std::string referer = "https://a.example/\"x\"";
    std::string addr = "10.0.0.1:80, 10.0.0.2:80 : unix:/x";
    std::string status = "502, 504 : 200";
    std::string times = "0.001, 0.002 : 0.003";
    std::string nul("a\0b", 3);
    trace_field_t fields[] = {{str("n"), str(nul)}};
    trace_request_t req{};
    req.start_us = 1;
    req.referer = str(referer);
    req.protocol = str("HTTP/2.0");
    req.scheme = str("https");
    req.request_length = 123;
    req.upstream_addr = str(addr);
    req.upstream_status = str(status);
    req.upstream_response_time = str(times);
    req.fields = fields;
    req.nfields = 1;
    std::string row;
    enc.append_request(row, req);
    ASSERT_EQ(row.back(), '\n');
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= row.size() - 1; ++i) {
        if (row[i] == '\t' || row[i] == '\n') {
            cols.push_back(row.substr(start, i - start));
            start = i + 1;
        }
    }
    // ts, host, server_name, method, path, query, status, duration, user_name,
    // session, client_addr, bytes_sent, user_agent, request_id, then ours.
    ASSERT_EQ(cols.size(), 24u);
    EXPECT_EQ(cols[14], referer);
    EXPECT_EQ(cols[15], "HTTP/2.0");
    EXPECT_EQ(cols[16], "https");
    EXPECT_EQ(cols[17], "123");
    EXPECT_EQ(cols[18], addr);
    EXPECT_EQ(cols[19], status);
    EXPECT_EQ(cols[20], times);
    EXPECT_EQ(parse(cols[21])["n"], "a\\x00b");
    EXPECT_EQ(cols[22], "{fields.n}");
    EXPECT_EQ(cols[23], "\\N");

    trace_request_t none{};
    row.clear();
    enc.append_request(row, none);
    cols.clear();
    start = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i] == '\t' || row[i] == '\n') {
            cols.push_back(row.substr(start, i - start));
            start = i + 1;
        }
    }
    ASSERT_EQ(cols.size(), 24u);
    for (std::size_t i : {14u, 15u, 16u, 18u, 19u, 20u, 21u, 22u}) {
        EXPECT_EQ(cols[i], "\\N") << "column " << i;
    }
    EXPECT_EQ(cols[17], "0");
}
