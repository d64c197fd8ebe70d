// Stored values read back, and client values written where a terminal may
// show them.
//
// The scheme (sql/0003_escaped_and_malformed.sql, README "Escaped values"): a
// value that a row's `escaped` list names is escaped: \\ stands for one
// backslash and \xHH for the byte HH; any other value is exactly the bytes it
// holds, backslashes included. The module escapes a value that has NUL or
// bytes that are not UTF-8, which PostgreSQL text cannot hold. trace-ctl's CSV
// escapes by the same scheme, in addition, every value with a control
// character in it, and names in its own `escaped` field the fields it wrote
// escaped: CSV stays exact for programs and never drives a terminal. The text
// table shows the bytes a value stands for, made visible by terminal_safe
// (app/table_output.hpp); JSON carries values as stored, with the list.

#ifndef TRACE_CTL_RECORDS_ESCAPING_HPP
#define TRACE_CTL_RECORDS_ESCAPING_HPP

#include "records/columns.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

// The names in an escaped list as the listings select it (a JSON array, from
// to_json(escaped)); none for NULL or for anything that is not such an array.
std::vector<std::string> escaped_names(const std::optional<std::string> &selected);

// The bytes a stored value stands for: an escaped one decoded, any other as
// it is. A backslash the scheme never writes (not \\ nor \xHH) stays itself.
std::string stored_bytes(std::string_view stored, bool escaped);

// The form the module stores `bytes` in: as they are when PostgreSQL can hold
// them (the common case, false), else escaped (true). For filters, which
// compare with what is stored.
bool stored_form(std::string_view bytes, std::string &out);

// True when `bytes` holds anything that could drive a terminal, or anything
// that is not UTF-8: the C0 controls (NUL to U+001F, TAB, CR and LF
// included: a CSV record stays one line), DEL and the C1 controls U+0080 to
// U+009F.
bool could_drive_terminal(std::string_view bytes);

// `bytes` escaped by the scheme: every backslash doubled, and as \xHH every
// byte that is not UTF-8 and every byte of what could_drive_terminal finds (a
// C1 control is two: \xc2\x9b).
std::string escape_for_terminal(std::string_view bytes);

// For each column of `row`, whether the row's `escaped` column (the first of
// kind names, if the set has one) names it.
std::vector<bool> escaped_columns(const std::vector<RecordColumn> &columns, const RecordRow &row);

// The row with every escaped value decoded to the bytes it stands for: what
// the text table shows (each cell then made visible by terminal_safe).
RecordRow decoded_row(const std::vector<RecordColumn> &columns, const RecordRow &row);

// The row as CSV writes it: each text value whose bytes could drive a
// terminal escaped, any other exact, and the names column listing exactly the
// values escaped, separated by a space (NULL for none).
RecordRow terminal_safe_row(const std::vector<RecordColumn> &columns, const RecordRow &row);

}  // namespace trace_ctl

#endif
