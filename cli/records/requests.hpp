#ifndef TRACE_CTL_RECORDS_REQUESTS_HPP
#define TRACE_CTL_RECORDS_REQUESTS_HPP

#include "app/context.hpp"
#include "records/list_options.hpp"
#include "records/page_query.hpp"

namespace trace_ctl {

// trace-ctl requests: the HTTP requests nginx recorded, newest first.
int run_requests(const Context &ctx, const ListOptions &opts);

// The query of a page of requests, as `requests` runs it (the console too).
PageQuery requests_page_query();

}  // namespace trace_ctl

#endif
