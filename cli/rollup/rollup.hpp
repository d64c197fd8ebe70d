// trace-ctl rollup: keeps the summaries of trace.requests that the console's
// overview reads for whole hours and days (sql/0009), as a role with
// trace_maintainer, from cron. The module never writes them.

#ifndef TRACE_CTL_ROLLUP_ROLLUP_HPP
#define TRACE_CTL_ROLLUP_ROLLUP_HPP

#include "app/context.hpp"

namespace trace_ctl {

// Rolls up every ended hour and day that has no current rollup, oldest first,
// one day per transaction, and drops the summaries of forgotten periods.
int run_rollup(const Context &ctx);

}  // namespace trace_ctl

#endif
