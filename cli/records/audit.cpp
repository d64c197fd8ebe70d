// trace-ctl audit: a page of trace.audit, filtered, --follow, or --summary.

#include "records/audit.hpp"

#include "app/usage_error.hpp"
#include "records/audit_summary.hpp"
#include "records/columns.hpp"
#include "records/listing.hpp"
#include "trace_contract.h"

namespace trace_ctl {

namespace {

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

}  // namespace

int run_audit(const Context &ctx, const AuditOptions &opts) {
    RecordFilter filter = audit_filter(opts, ctx.config);
    if (opts.summary) {
        return list_records(ctx, audit_summary_columns(), opts.list, std::move(filter),
                            audit_summary_query);
    }
    const ColumnSet &set = audit_columns();
    return list_records(
        ctx, set, opts.list, std::move(filter),
        [&set](const WhereClause &where, const std::string &limit, const std::string &offset) {
            return newest_first_query(set, where, limit, offset);
        });
}

}  // namespace trace_ctl
