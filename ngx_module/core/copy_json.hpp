// trace_field values as one jsonb field of COPY text: {"name":"value",...}.
//
// Two escapings nest: JSON's inside the string ("\"", "\\", "\u001b"), then
// COPY's around the whole field (every backslash doubled). The JSON is valid
// whatever the bytes. jsonb cannot hold NUL (not even as \u0000) nor invalid
// UTF-8, so a value with such bytes follows the escaping of the text columns
// (sql/0003, sql/0004): such bytes become the four characters \xHH and the
// value's backslashes are doubled, and the row's escaped column names it as
// "fields.NAME". Every other value is stored exactly as it came, whatever the
// other values of the row hold.

#ifndef TRACE_CORE_COPY_JSON_HPP
#define TRACE_CORE_COPY_JSON_HPP

#include "trace_core.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace trace {

// Appends the object of the fields that have a value (a field whose value is
// absent or empty is left out, and so is one whose name is not 1 to
// TRACE_FIELD_NAME_MAX of [a-z0-9_], which nginx -t never lets through), or \N
// when none has. A value longer than `max_value` bytes is cut at a character
// boundary and ends in "…". At most TRACE_FIELDS_MAX fields are read. Returns
// the values stored escaped: bit k for fields[k].
std::uint32_t append_copy_fields(std::string &out, const trace_field_t *fields, std::size_t n,
                                 std::size_t max_value = TRACE_FIELD_VALUE_MAX);

// Appends the escaped column's entries for those values, "fields.NAME"
// separated by commas, after a comma unless `first`. Nothing in them needs
// quoting in a text[] literal.
void append_escaped_field_names(std::string &out, const trace_field_t *fields,
                                std::uint32_t escaped, bool first);

}  // namespace trace

#endif
