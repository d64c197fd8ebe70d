#ifndef TRACE_CTL_RECORDS_REQUESTS_HPP
#define TRACE_CTL_RECORDS_REQUESTS_HPP

#include "app/context.hpp"
#include "records/list_options.hpp"

namespace trace_ctl {

// trace-ctl requests: the HTTP requests nginx recorded, newest first.
int run_requests(const Context &ctx, const ListOptions &opts);

}  // namespace trace_ctl

#endif
