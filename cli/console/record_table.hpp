// Rows of trace.requests, trace.audit and the audit summary as HTML tables.
// Values are shown as the bytes they stand for (escaped ones decoded, as the
// CLI's text table does), made visible and escaped (html.hpp). A user,
// session, client or path in a row links to the list filtered by it.

#ifndef TRACE_CTL_CONSOLE_RECORD_TABLE_HPP
#define TRACE_CTL_CONSOLE_RECORD_TABLE_HPP

#include "records/columns.hpp"

#include <string>
#include <vector>

namespace trace_ctl {

// Where a row's links go: "/requests" or "/audit".
std::string requests_table(const std::vector<RecordRow> &rows);
std::string audit_table(const std::vector<RecordRow> &rows, const std::string &list_href);
std::string summary_table(const std::vector<RecordRow> &rows);
// Rows of audit_open_sessions_columns; a login without a session hash says so.
std::string open_sessions_table(const std::vector<RecordRow> &rows);

// The links of one value: the user's page, the session's page, a list.
std::string user_href(const std::string &user_bytes);
std::string session_href(const std::string &hash);

// A time column's value (microseconds) as UTC text, "-" for NULL.
std::string time_cell(const std::optional<std::string> &micros);

}  // namespace trace_ctl

#endif
