// Encoding values as fields of PostgreSQL's COPY text format, so that any bytes
// a client can send become a row the server accepts.
//
// PostgreSQL text cannot hold NUL or invalid UTF-8. A value without such bytes,
// the common case, is stored exactly as sent. A value with them is stored
// escaped (sql/0003_escaped_and_malformed.sql): each of those bytes as the four
// characters \xHH and each backslash of the value doubled, so that the stored
// text decodes back to the bytes sent; the row names the column in its
// `escaped` list. A client that sends the four characters \xff is therefore
// told apart from one that sends the byte 0xff, and no row is lost for them.

#ifndef TRACE_CORE_COPY_TEXT_HPP
#define TRACE_CORE_COPY_TEXT_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trace {

// Appends `value` as one COPY text field (without delimiter). When the input is
// longer than `max_input` bytes it is cut (at a character boundary) and marked
// with "…", so that an indexed column never exceeds what an index can hold.
// Returns true when the field is stored escaped: when the part kept has a byte
// PostgreSQL cannot hold. That part is then encoded a second time; a value
// without such bytes is read once.
[[nodiscard]] bool append_copy_text(std::string &out, std::string_view value,
                                    std::size_t max_input = SIZE_MAX);

// The mark that ends a value that was cut: "…".
inline constexpr std::string_view cut_mark = "\xE2\x80\xA6";

// The field for SQL NULL.
inline void append_copy_null(std::string &out) { out.append("\\N", 2); }

void append_copy_int(std::string &out, std::int64_t value);

// A timestamptz in UTC with microseconds: "2026-11-27 05:42:52.123456+00".
void append_copy_timestamp(std::string &out, std::int64_t epoch_us);

// An interval in seconds with microseconds: "0.001234".
void append_copy_seconds(std::string &out, std::int64_t micros);

// Length of the longest prefix of `s` that is valid UTF-8 as PostgreSQL
// understands it (no NUL, no surrogates, no overlong forms, <= U+10FFFF).
std::size_t valid_utf8_prefix(std::string_view s);

}  // namespace trace

#endif
