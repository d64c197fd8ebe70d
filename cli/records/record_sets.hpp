// What each reading command lists: the table, every column it selects (all of
// them go to JSON and CSV), and the few that people see in the text table.

#ifndef TRACE_CTL_RECORDS_RECORD_SETS_HPP
#define TRACE_CTL_RECORDS_RECORD_SETS_HPP

#include "app/table_output.hpp"
#include "records/record_format.hpp"

#include <functional>
#include <string>
#include <vector>

namespace trace_ctl {

struct TextField {
    TextColumn column;
    std::function<std::string(const RecordRow &)> cell;
    bool hide_when_uniform = false;  // e.g. HOST when every row has the same
};

struct RecordSet {
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
const RecordSet &requests_records();
const RecordSet &audit_records();

// audit --summary: one row per user; selected by the summary query.
const RecordSet &audit_summary_records();

}  // namespace trace_ctl

#endif
