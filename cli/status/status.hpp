#ifndef TRACE_CTL_STATUS_STATUS_HPP
#define TRACE_CTL_STATUS_STATUS_HPP

#include "app/context.hpp"
#include "status/status_report.hpp"

#include <string>

namespace trace_ctl {

struct StatusOptions {
    std::string status_url;  // default: status_url of the configuration
    bool estimate = false;  // row counts from the planner's statistics
    std::string format = "text";
    double timeout_seconds = 3;  // for the status URL
};

// trace-ctl status: is the database there, is the schema current, how many rows,
// how fresh is the newest, and what the module's workers count. Exit 0 when all
// is well, 1 when anything needs attention (and says what).
int run_status(const Context &ctx, const StatusOptions &opts);

// What run_status reports, found out without printing it (the console's
// /status shows it too). Throws UsageError for a bad status URL.
StatusReport read_status_report(const Context &ctx, const StatusOptions &opts);

}  // namespace trace_ctl

#endif
