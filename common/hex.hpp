// Bytes as lowercase hexadecimal digits, two per byte, most significant first.

#ifndef TRACE_COMMON_HEX_HPP
#define TRACE_COMMON_HEX_HPP

#include <cstddef>
#include <string>

namespace trace {

inline constexpr char hex_digits[] = "0123456789abcdef";

// Writes 2 * len digits to out (no terminating NUL).
inline void write_hex(char *out, const unsigned char *data, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) {
        out[2 * i] = hex_digits[data[i] >> 4];
        out[2 * i + 1] = hex_digits[data[i] & 0xf];
    }
}

// The value of one hex digit (either case), or -1 for anything else.
inline int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

inline std::string to_hex(const unsigned char *data, std::size_t len) {
    std::string out(2 * len, '0');
    write_hex(out.data(), data, len);
    return out;
}

// Bytes as PostgreSQL's text form of a bytea (hex format): \x, then the digits.
inline std::string bytea_hex_text(const std::string &bytes) {
    return "\\x" + to_hex(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
}

}  // namespace trace

#endif
