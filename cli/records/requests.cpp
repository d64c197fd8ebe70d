// trace-ctl requests: a page of trace.requests, filtered, or --follow.

#include "records/requests.hpp"

#include "records/columns.hpp"
#include "records/listing.hpp"

namespace trace_ctl {

PageQuery requests_page_query() {
    return [](const WhereClause &where, const std::string &limit, const std::string &offset) {
        return newest_first_query(requests_columns(), where, limit, offset);
    };
}

int run_requests(const Context &ctx, const ListOptions &opts) {
    return list_records(ctx, requests_columns(), opts, filter_from_options(opts, ctx.config),
                        requests_page_query());
}

}  // namespace trace_ctl
