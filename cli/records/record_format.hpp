// Records as programs read them: JSON (nlohmann-json) and CSV (RFC 4180).
// A record is a row of text values as PostgreSQL returned them, described by
// columns that say how each value is typed in JSON and written in CSV.

#ifndef TRACE_CTL_RECORDS_RECORD_FORMAT_HPP
#define TRACE_CTL_RECORDS_RECORD_FORMAT_HPP

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

enum class ColumnKind {
    text,
    integer,  // JSON number
    time,  // selected as microseconds since the epoch; RFC 3339 UTC outside
    seconds,  // a duration as decimal seconds; JSON number
    boolean,  // PostgreSQL's t / f; JSON true / false
};

struct RecordColumn {
    std::string name;  // the key in JSON and the CSV header
    std::string select_sql;  // what the query selects for it
    ColumnKind kind = ColumnKind::text;
};

using RecordRow = std::vector<std::optional<std::string>>;  // nullopt is NULL

// The SQL that selects a timestamptz expression as ColumnKind::time wants it.
std::string epoch_micros_sql(const std::string &expression);

// One record as an object whose keys keep the columns' order; NULL is null.
nlohmann::ordered_json record_to_json(const std::vector<RecordColumn> &columns,
                                      const RecordRow &row);

// Compact JSON on one line. Bytes that are not UTF-8 become U+FFFD instead of
// making the encoder throw: one odd value must not cost the whole output.
std::string json_text(const nlohmann::ordered_json &value);

// A value as CSV writes it (times in RFC 3339 UTC); nullopt stays NULL.
std::optional<std::string> csv_value(ColumnKind kind, const std::optional<std::string> &raw);

// One RFC 4180 line, CRLF-terminated. A field with a comma, quote, CR or LF is
// quoted, quotes doubled; an empty string is "" while NULL is nothing at all.
std::string csv_line(const std::vector<std::optional<std::string>> &fields);

std::string csv_header(const std::vector<RecordColumn> &columns);
std::string csv_record(const std::vector<RecordColumn> &columns, const RecordRow &row);

}  // namespace trace_ctl

#endif
