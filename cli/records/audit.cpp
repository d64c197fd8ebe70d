// trace-ctl audit: a page of trace.audit, filtered, --follow, or --summary.

#include "records/audit.hpp"

#include "app/usage_error.hpp"
#include "records/audit_summary.hpp"
#include "records/columns.hpp"
#include "records/listing.hpp"
#include "trace_contract.h"

namespace trace_ctl {

RecordFilter audit_filter(const AuditOptions &opts, const Config &config) {
    RecordFilter filter = filter_from_options(opts.list, config);
    if (opts.failed_only && !opts.action.empty()) {
        throw UsageError("--failed-only is --action login_failed: give one of the two");
    }
    if (opts.failed_only) {
        filter.actions = {TRACE_ACTION_LOGIN_FAILED};
    } else if (!opts.action.empty()) {
        filter.actions = parse_actions(opts.action);
    }
    if (opts.summary && !filter.actions.empty()) {
        throw UsageError(
            "--summary looks at every action: it cannot be combined with "
            "--action or --failed-only");
    }
    if (opts.summary && opts.list.follow) {
        throw UsageError("--summary and --follow exclude each other");
    }
    if (opts.summary && !filter.since && !filter.until) {
        filter.since = parse_time_bound(default_summary_window, "--since");
    }
    return filter;
}

const ColumnSet &audit_page_columns(const AuditOptions &opts) {
    return opts.summary ? audit_summary_columns() : audit_columns();
}

PageQuery audit_page_query(const AuditOptions &opts) {
    if (opts.summary) {
        return audit_summary_query;
    }
    return [](const WhereClause &where, const std::string &limit, const std::string &offset) {
        return newest_first_query(audit_columns(), where, limit, offset);
    };
}

int run_audit(const Context &ctx, const AuditOptions &opts) {
    return list_records(ctx, audit_page_columns(opts), opts.list, audit_filter(opts, ctx.config),
                        audit_page_query(opts));
}

}  // namespace trace_ctl
