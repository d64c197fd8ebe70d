#ifndef TRACE_CTL_RECORDS_AUDIT_HPP
#define TRACE_CTL_RECORDS_AUDIT_HPP

#include "app/context.hpp"
#include "records/list_options.hpp"

namespace trace_ctl {

struct AuditOptions {
    ListOptions list;
    std::string action;  // login, logout, login_failed; comma-separated
    bool failed_only = false;  // --action login_failed
    bool summary = false;  // one line per user instead of one per event
};

// trace-ctl audit: logins, logouts and failed logins, newest first, or per user.
int run_audit(const Context &ctx, const AuditOptions &opts);

}  // namespace trace_ctl

#endif
