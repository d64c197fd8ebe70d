// A listing (requests, audit): one page of records newest first, or, with
// --follow, the newest ones and then every new one (follow.hpp).

#ifndef TRACE_CTL_RECORDS_LISTING_HPP
#define TRACE_CTL_RECORDS_LISTING_HPP

#include "app/context.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"
#include "records/list_options.hpp"
#include "records/page_query.hpp"

namespace trace_ctl {

// Prints one page (or, with --follow, the newest rows and then every new one).
// Pages are anchored so that rows arriving meanwhile do not shift them: a page
// holds only rows with id <= --max-id and ts <= --max-time, by default the
// newest id and time when the command starts, which the text footer names for
// the next page. The id makes the anchor exact (a row inserted later has a
// higher id, whatever its time); the time lets the index skip what came later.
int list_records(const Context &ctx, const ColumnSet &shown, const ListOptions &opts,
                 RecordFilter filter, const PageQuery &query);

}  // namespace trace_ctl

#endif
