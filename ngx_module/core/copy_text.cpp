#include "copy_text.hpp"

#include "common/hex.hpp"

#include <ctime>

namespace trace {

namespace {

// Length of the UTF-8 sequence starting at s[i] if it is one PostgreSQL accepts
// (the rules of its pg_utf8_islegal), else 0.
std::size_t utf8_sequence_length(const unsigned char *s, std::size_t avail) {
    unsigned char c = s[0];
    if (c < 0x80) {
        return c == 0 ? 0 : 1;
    }
    auto cont = [&](std::size_t k) { return k < avail && (s[k] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || !cont(1) || !cont(2)) {
            return 0;
        }
        if (c == 0xE0 && s[1] < 0xA0) {
            return 0;  // overlong
        }
        if (c == 0xED && s[1] > 0x9F) {
            return 0;  // UTF-16 surrogates
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || !cont(1) || !cont(2) || !cont(3)) {
            return 0;
        }
        if (c == 0xF0 && s[1] < 0x90) {
            return 0;  // overlong
        }
        if (c == 0xF4 && s[1] > 0x8F) {
            return 0;  // above U+10FFFF
        }
        return 4;
    }
    return 0;
}

// A byte PostgreSQL cannot hold, as the stored text \xHH: COPY turns "\\" into
// one backslash.
void append_escaped_byte(std::string &out, unsigned char c) {
    char buf[5] = {'\\', '\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xF]};
    out.append(buf, 5);
}

// How a value is stored: exactly as sent, or escaped (every byte PostgreSQL
// cannot hold as \xHH, every backslash doubled).
enum class Storage { exact, escaped };

// Appends the field for the first `max_input` bytes of `value`, stored as
// `storage` says. Exact storage gives up at the first byte PostgreSQL cannot
// hold, having written part of the field, and returns false.
template <Storage storage>
bool append_field(std::string &out, std::string_view value, std::size_t max_input) {
    bool cut = value.size() > max_input;
    const auto *p = reinterpret_cast<const unsigned char *>(value.data());
    std::size_t end = cut ? max_input : value.size();
    std::size_t i = 0;
    while (i < end) {
        unsigned char c = p[i];
        // The common case: printable ASCII that COPY takes as it is.
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            std::size_t run = i + 1;
            while (run < end && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '\\') {
                ++run;
            }
            out.append(value.data() + i, run - i);
            i = run;
            continue;
        }
        switch (c) {
        case '\\':
            if (storage == Storage::escaped) {
                out.append("\\\\\\\\", 4);  // the stored text \\: one backslash, escaped
            } else {
                out.append("\\\\", 2);
            }
            ++i;
            continue;
        case '\t':
            out.append("\\t", 2);
            ++i;
            continue;
        case '\n':
            out.append("\\n", 2);
            ++i;
            continue;
        case '\r':
            out.append("\\r", 2);
            ++i;
            continue;
        default:
            break;
        }
        std::size_t n = utf8_sequence_length(p + i, value.size() - i);
        if (n == 0) {
            if (storage == Storage::exact) {
                return false;  // NUL or a byte that is not valid UTF-8
            }
            append_escaped_byte(out, c);
            ++i;
        } else if (i + n > end) {
            break;  // a character that straddles the cut is left out whole
        } else {
            out.append(value.data() + i, n);  // other control characters and UTF-8
            i += n;
        }
    }
    if (cut) {
        out.append(cut_mark);
    }
    return true;
}

}  // namespace

std::size_t valid_utf8_prefix(std::string_view s) {
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = utf8_sequence_length(p + i, s.size() - i);
        if (n == 0) {
            break;
        }
        i += n;
    }
    return i;
}

bool append_copy_text(std::string &out, std::string_view value, std::size_t max_input) {
    std::size_t start = out.size();
    if (append_field<Storage::exact>(out, value, max_input)) {
        return false;
    }
    // Rare: a byte PostgreSQL cannot hold. The whole value again, escaped.
    out.resize(start);
    append_field<Storage::escaped>(out, value, max_input);
    return true;
}

void append_copy_int(std::string &out, std::int64_t value) {
    char buf[24];
    char *end = buf + sizeof(buf);
    char *p = end;
    bool negative = value < 0;
    // Work on the unsigned magnitude, so that INT64_MIN is fine too.
    std::uint64_t v = negative ? (~static_cast<std::uint64_t>(value) + 1) : value;
    do {
        *--p = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (negative) {
        *--p = '-';
    }
    out.append(p, static_cast<std::size_t>(end - p));
}

namespace {

void append_digits(std::string &out, std::int64_t value, int width) {
    char buf[8];
    for (int k = width - 1; k >= 0; --k) {
        buf[k] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

void append_copy_timestamp(std::string &out, std::int64_t epoch_us) {
    // gmtime_r is not free; the date part changes once a second at most, and
    // rows of one batch mostly share it.
    thread_local std::int64_t cached_second = INT64_MIN;
    thread_local char cached[20];
    std::int64_t second = epoch_us >= 0 ? epoch_us / 1000000 : (epoch_us - 999999) / 1000000;
    std::int64_t micros = epoch_us - second * 1000000;
    if (second != cached_second) {
        std::time_t t = static_cast<std::time_t>(second);
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::string s;
        append_digits(s, tm.tm_year + 1900, 4);
        s += '-';
        append_digits(s, tm.tm_mon + 1, 2);
        s += '-';
        append_digits(s, tm.tm_mday, 2);
        s += ' ';
        append_digits(s, tm.tm_hour, 2);
        s += ':';
        append_digits(s, tm.tm_min, 2);
        s += ':';
        append_digits(s, tm.tm_sec, 2);
        s.copy(cached, 19);
        cached_second = second;
    }
    out.append(cached, 19);
    out += '.';
    append_digits(out, micros, 6);
    out.append("+00", 3);
}

void append_copy_seconds(std::string &out, std::int64_t micros) {
    if (micros < 0) {
        micros = 0;  // clocks may step back; a request never takes negative time
    }
    append_copy_int(out, micros / 1000000);
    out += '.';
    append_digits(out, micros % 1000000, 6);
}

}  // namespace trace
