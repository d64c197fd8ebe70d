// Encoding values as fields of PostgreSQL's COPY text format, so that any bytes
// a client can send become a row the server accepts.
//
// PostgreSQL text cannot hold NUL or invalid UTF-8. Such bytes are written
// visibly as the four characters \xHH, so that they are seen and no row is lost
// for them; everything PostgreSQL can hold reads back exactly as sent.

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
void append_copy_text(std::string &out, std::string_view value,
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
