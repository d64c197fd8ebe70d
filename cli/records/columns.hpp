// What each listing selects and shows. A record is a row of text values as
// PostgreSQL returned them. Its columns are the SQL select list of the listing's
// table; each says what the query selects for it and what kind of value it is,
// which decides how JSON and CSV write it (output/json.hpp, output/csv.hpp;
// both carry every column). A few text fields say what people see in the text
// table (output/text.hpp).

#ifndef TRACE_CTL_RECORDS_COLUMNS_HPP
#define TRACE_CTL_RECORDS_COLUMNS_HPP

#include "app/table_output.hpp"

#include <functional>
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
    names,  // column names (escaped), selected as a JSON array; JSON an array, CSV
            // the names a space apart (records/escaping.hpp)
    json,  // jsonb: embedded as a JSON value in JSON, its text in CSV
};

struct RecordColumn {
    std::string name;  // the key in JSON and the CSV header
    std::string select_sql;  // what the query selects for it
    ColumnKind kind = ColumnKind::text;
};

using RecordRow = std::vector<std::optional<std::string>>;  // nullopt is NULL

// The value of an integer or time column as a number; nothing when the text
// is not one.
std::optional<long long> integer_value(const std::string &raw);

// A column of the text table, and how its cell is made from a record.
struct TextField {
    TextColumn column;
    std::function<std::string(const RecordRow &)> cell;
    bool hide_when_uniform = false;  // e.g. HOST when every row has the same
    // Left out when the line cannot hold it without cutting columns that
    // matter more (least_line_width): AGENT on a terminal of 100 columns.
    bool hide_when_narrow = false;
};

// The columns of one listing.
struct ColumnSet {
    std::string table;  // "trace.requests"
    std::string command;  // "requests": the command that lists it
    std::string noun;  // "requests", for people
    std::vector<RecordColumn> columns;
    std::vector<TextField> text;

    // The select list, in column order.
    std::string select_list() const;
    // Index of a column; throws std::logic_error for an unknown name.
    size_t index_of(const std::string &name) const;
};

// trace.requests and trace.audit: the first column is always id.
const ColumnSet &requests_columns();
const ColumnSet &audit_columns();

// audit --summary: one row per user; selected by the summary query.
const ColumnSet &audit_summary_columns();

// One row per open session of the summary's rule (records/audit_summary.hpp).
const ColumnSet &audit_open_sessions_columns();

}  // namespace trace_ctl

#endif
