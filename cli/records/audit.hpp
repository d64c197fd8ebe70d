#ifndef TRACE_CTL_RECORDS_AUDIT_HPP
#define TRACE_CTL_RECORDS_AUDIT_HPP

#include "app/context.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"
#include "records/list_options.hpp"
#include "records/page_query.hpp"

namespace trace_ctl {

struct AuditOptions {
    ListOptions list;
    std::string action;  // login, logout, login_failed; comma-separated
    bool failed_only = false;  // --action login_failed
    bool summary = false;  // one line per user instead of one per event
};

// trace-ctl audit: logins, logouts and failed logins, newest first, or per user.
int run_audit(const Context &ctx, const AuditOptions &opts);

// The filter of the options (--action, --failed-only, the summary's default
// window) and what a page selects and how: the events, or one row per user
// with --summary. Shared with the console (cli/console/). Throws UsageError.
RecordFilter audit_filter(const AuditOptions &opts, const Config &config);
const ColumnSet &audit_page_columns(const AuditOptions &opts);
PageQuery audit_page_query(const AuditOptions &opts);

}  // namespace trace_ctl

#endif
