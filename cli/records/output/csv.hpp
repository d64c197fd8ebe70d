// Records as CSV (RFC 4180): a header line with the column names, then one
// line per record, CRLF line ends. A value that could drive a terminal is
// written escaped and named in the record's escaped field
// (records/escaping.hpp), so that a record is always one line of printable
// text that still reads back exactly.

#ifndef TRACE_CTL_RECORDS_OUTPUT_CSV_HPP
#define TRACE_CTL_RECORDS_OUTPUT_CSV_HPP

#include "records/columns.hpp"
#include "records/output/writer.hpp"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// A value as CSV writes it (times in RFC 3339 UTC); nullopt stays NULL.
std::optional<std::string> csv_value(ColumnKind kind, const std::optional<std::string> &raw);

// One RFC 4180 line, CRLF-terminated. A field with a comma, quote, CR or LF is
// quoted, quotes doubled; an empty string is "" while NULL is nothing at all.
std::string csv_line(const std::vector<std::optional<std::string>> &fields);

std::string csv_header(const std::vector<RecordColumn> &columns);
// The record made terminal-safe (terminal_safe_row), then as csv_line.
std::string csv_record(const std::vector<RecordColumn> &columns, const RecordRow &row);

std::unique_ptr<RecordWriter> make_csv_writer(const ColumnSet &set, std::ostream &out);

}  // namespace trace_ctl

#endif
