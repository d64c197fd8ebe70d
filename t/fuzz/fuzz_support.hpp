// What the fuzz targets share: reference implementations, written
// independently of the code under test, that the targets compare against, and
// a way to fail that libFuzzer reports as a crash (and saves the input of).
//
// The references are deliberately naive (clear over fast): a fuzz target is
// only as good as the invariant it checks.

#ifndef TRACE_FUZZ_SUPPORT_HPP
#define TRACE_FUZZ_SUPPORT_HPP

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

// Fails the run: libFuzzer saves the input as a reproducer (crash-<sha1>).
#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
                         #cond);                                                      \
            std::abort();                                                             \
        }                                                                             \
    } while (0)

namespace fuzz {

// Length of the UTF-8 character at the start of s (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF, no NUL, as PostgreSQL wants),
// or 0 when s does not start with one. Decodes the code point and checks its
// range, where the code under test checks lead and second bytes.
inline std::size_t utf8_char_length(std::string_view s) {
    if (s.empty()) {
        return 0;
    }
    auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char lead = byte(0);
    std::size_t n;
    char32_t cp;
    if (lead == 0) {
        return 0;
    } else if (lead < 0x80) {
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        n = 2, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        n = 3, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        n = 4, cp = lead & 0x07;
    } else {
        return 0;
    }
    if (s.size() < n) {
        return 0;
    }
    for (std::size_t i = 1; i < n; ++i) {
        if ((byte(i) & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (byte(i) & 0x3F);
    }
    static const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

inline bool is_valid_utf8(std::string_view s) {
    while (!s.empty()) {
        std::size_t n = utf8_char_length(s);
        if (n == 0) {
            return false;
        }
        s.remove_prefix(n);
    }
    return true;
}

// Decodes one field of PostgreSQL's COPY text format, accepting only the
// escapes our encoder may write (\\ \t \n \r); nullopt for anything else
// (a raw tab, newline or CR, a lone or unknown backslash escape).
inline std::optional<std::string> copy_decode_field(std::string_view field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        if (c == '\t' || c == '\n' || c == '\r') {
            return std::nullopt;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == field.size()) {
            return std::nullopt;
        }
        switch (field[i]) {
        case '\\': out += '\\'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        default: return std::nullopt;
        }
    }
    return out;
}

// What the module stores for `in` cut at `limit` input bytes, by the scheme of
// sql/0003_escaped_and_malformed.sql, modelled character by character: when
// the characters kept (those that end within the limit) are all valid UTF-8
// without NUL, they are stored as they are; otherwise every backslash is
// doubled and every other byte written as \xHH, and the value is escaped. A
// cut value ends in "…" either way.
struct Stored {
    std::string text;
    bool escaped = false;
};

inline Stored stored_reference(std::string_view in, std::size_t limit = SIZE_MAX) {
    bool cut = in.size() > limit;
    std::string exact, escaped;
    bool needs_escaping = false;
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t n = utf8_char_length(in.substr(i));
        if (cut && i + (n == 0 ? 1 : n) > limit) {
            break;
        }
        if (n == 0) {
            char hex[5];
            std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(in[i]));
            escaped += hex;
            needs_escaping = true;
            i += 1;
            continue;
        }
        std::string_view piece = in.substr(i, n);
        exact += piece;
        escaped += piece == "\\" ? std::string_view("\\\\") : piece;
        i += n;
    }
    Stored out{needs_escaping ? escaped : exact, needs_escaping};
    if (cut) {
        out.text += "\xE2\x80\xA6";
    }
    return out;
}

// The bytes an escaped value stands for: \\ is a backslash, \xHH a byte;
// nullopt for any other backslash (which the scheme never writes).
inline std::optional<std::string> unescape_stored(std::string_view s);

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline std::optional<std::string> unescape_stored(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
        } else if (i + 1 < s.size() && s[i + 1] == '\\') {
            out += '\\';
            i += 1;
        } else if (i + 3 < s.size() && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 &&
                   hex_value(s[i + 3]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 2]) << 4 | hex_value(s[i + 3]));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// Percent-decoding as RFC 3986 and urlencoded forms have it: "%HH" is a byte,
// anything else (a lone '%') is itself.
inline std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && s.size() - i >= 3 && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        } else {
            out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
        }
    }
    return out;
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) {
        c = ascii_lower(c);
    }
    return out;
}

// The spool format, read independently of spool_format.cpp: "NTSPOOL2", then
// records of a 28-byte header (magic "NTB2", table, host length, two zero
// bytes, row count, id and rows lengths, the header's CRC-32, the body's
// CRC-32) and a body (id, host, rows). CRCs are zlib's.
inline std::uint32_t le32(std::string_view s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) {
        v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    }
    return v;
}

inline std::uint32_t crc_of(std::string_view s) {
    return static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef *>(s.data()), static_cast<uInt>(s.size())));
}

// The length of the whole record whose header is h (28 bytes), or 0 when the
// header is not sound: wrong magic or table, nonzero padding, an id of 0 or
// more than 256 bytes, more than 256 MiB of rows, or a header CRC mismatch.
inline std::size_t spool_record_length(std::string_view h) {
    std::size_t host_len = static_cast<unsigned char>(h[5]);
    std::uint32_t id_len = le32(h, 12), rows_len = le32(h, 16);
    bool sound = le32(h, 0) == 0x3242544E && crc_of(h.substr(4, 16)) == le32(h, 20) &&
                 (h[4] == 1 || h[4] == 2) && h[6] == 0 && h[7] == 0 && id_len != 0 &&
                 id_len <= 256 && rows_len <= 256u * 1024 * 1024;
    return sound ? 28 + std::size_t{id_len} + host_len + rows_len : 0;
}

}  // namespace fuzz

#endif
