#include "copy_json.hpp"

#include "common/hex.hpp"
#include "copy_text.hpp"
#include "row_encoder.hpp"

#include <string_view>

namespace trace {

namespace {

enum class Storage { exact, escaped };

// The bytes both JSON and COPY take as they are: printable ASCII but for the
// quote and the backslash. One load per byte in the loop below.
struct PlainBytes {
    bool plain[256] = {};
    constexpr PlainBytes() {
        for (int c = 0x20; c < 0x7F; ++c) {
            plain[c] = c != '"' && c != '\\';
        }
    }
};
constexpr PlainBytes plain_bytes;

// Appends the first `max_input` bytes of `value` as the inside of a JSON
// string, in COPY text. Exact storage gives up at the first byte PostgreSQL
// cannot hold, having written part of it, and returns false.
template <Storage storage>
bool append_json_chars(std::string &out, std::string_view value, std::size_t max_input) {
    bool cut = value.size() > max_input;
    const auto *p = reinterpret_cast<const unsigned char *>(value.data());
    std::size_t end = cut ? max_input : value.size();
    // Bytes before valid_end are known to be valid UTF-8 without NUL; found
    // when the first byte that needs it comes, so that ASCII costs nothing.
    std::size_t valid_end = 0;
    std::size_t i = 0;
    while (i < end) {
        unsigned char c = p[i];
        // The common case: printable ASCII that both JSON and COPY take as it is.
        if (plain_bytes.plain[c]) {
            std::size_t run = i + 1;
            while (run < end && plain_bytes.plain[p[run]]) {
                ++run;
            }
            out.append(value.data() + i, run - i);
            i = run;
            continue;
        }
        if (c == '"') {
            out.append("\\\\\"", 3);  // JSON \" in COPY
            ++i;
            continue;
        }
        if (c == '\\') {
            if (storage == Storage::escaped) {
                out.append(8, '\\');  // the stored text \\, as JSON \\\\, in COPY
            } else {
                out.append(4, '\\');  // JSON \\ in COPY
            }
            ++i;
            continue;
        }
        if (c == 0x7F) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c != 0 && c < 0x20) {
            char buf[7] = {'\\', '\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 0xF]};
            out.append(buf, 7);  // JSON \u00XX in COPY
            ++i;
            continue;
        }
        // NUL, or the first byte of a character beyond ASCII. A character that
        // straddles the cut is read whole (at most 3 bytes more) to tell it
        // from an invalid one.
        if (i >= valid_end) {
            valid_end = i + valid_utf8_prefix(value.substr(i, end + 3 - i));
        }
        if (i == valid_end) {
            if (storage == Storage::exact) {
                return false;
            }
            // The stored text \xHH, as JSON \\xHH, in COPY.
            char buf[8] = {'\\', '\\', '\\', '\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xF]};
            out.append(buf, 7);
            ++i;
            continue;
        }
        std::size_t n = 1;
        while (i + n < valid_end && (p[i + n] & 0xC0) == 0x80) {
            ++n;
        }
        if (i + n > end) {
            break;  // a character that straddles the cut is left out whole
        }
        out.append(value.data() + i, n);
        i += n;
    }
    if (cut) {
        out.append("\xE2\x80\xA6", 3);  // …
    }
    return true;
}

bool valid_name(const trace_str_t &name) {
    if (name.data == nullptr || name.len == 0 || name.len > TRACE_FIELD_NAME_MAX) {
        return false;
    }
    for (std::size_t i = 0; i < name.len; ++i) {
        unsigned char c = name.data[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::uint32_t append_copy_fields(std::string &out, const trace_field_t *fields, std::size_t n,
                                 std::size_t max_value) {
    static_assert(TRACE_FIELDS_MAX <= 32, "one bit per field");
    std::uint32_t escaped = 0;
    bool any = false;
    if (n > TRACE_FIELDS_MAX) {
        n = TRACE_FIELDS_MAX;
    }
    for (std::size_t k = 0; k < n; ++k) {
        const trace_field_t &f = fields[k];
        if (f.value.data == nullptr || f.value.len == 0 || !valid_name(f.name)) {
            continue;
        }
        out += any ? ',' : '{';
        any = true;
        out += '"';
        out.append(reinterpret_cast<const char *>(f.name.data), f.name.len);
        out.append("\":\"", 3);
        std::size_t start = out.size();
        if (!append_json_chars<Storage::exact>(out, view(f.value), max_value)) {
            // Rare: a byte PostgreSQL cannot hold. This value again, escaped.
            out.resize(start);
            append_json_chars<Storage::escaped>(out, view(f.value), max_value);
            escaped |= std::uint32_t{1} << k;
        }
        out += '"';
    }
    if (any) {
        out += '}';
    } else {
        append_copy_null(out);
    }
    return escaped;
}

void append_escaped_field_names(std::string &out, const trace_field_t *fields,
                                std::uint32_t escaped, bool first) {
    for (std::size_t k = 0; escaped != 0; ++k, escaped >>= 1) {
        if ((escaped & 1) == 0) {
            continue;
        }
        if (!first) {
            out += ',';
        }
        first = false;
        out.append("fields.", 7);
        out.append(reinterpret_cast<const char *>(fields[k].name.data), fields[k].name.len);
    }
}

}  // namespace trace
