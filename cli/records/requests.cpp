// trace-ctl requests: a page of trace.requests, filtered, or --follow.

#include "records/requests.hpp"

#include "records/columns.hpp"
#include "records/listing.hpp"

namespace trace_ctl {

int run_requests(const Context &ctx, const ListOptions &opts) {
    const ColumnSet &set = requests_columns();
    return list_records(
        ctx, set, opts, filter_from_options(opts, ctx.config),
        [&set](const WhereClause &where, const std::string &limit, const std::string &offset) {
            return newest_first_query(set, where, limit, offset);
        });
}

}  // namespace trace_ctl
