// One anchored page of a listing, read without printing it: what `requests`
// and `audit` print, and what the web console (cli/console/) shows. Pages are
// anchored so that rows arriving meanwhile do not shift them (listing.hpp).

#ifndef TRACE_CTL_RECORDS_ANCHORED_PAGE_HPP
#define TRACE_CTL_RECORDS_ANCHORED_PAGE_HPP

#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"
#include "records/list_options.hpp"
#include "records/page_query.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace trace_ctl {

// Where the pages stand: the newest id and time of one moment.
struct Anchor {
    std::int64_t id = 0;
    std::optional<EpochMicros> ts;
};

// PostgreSQL compiles a regex only when it meets a row; this asks it once up
// front, so that a bad --path or --referer is a UsageError even where no row
// would be tested.
void check_regexes(Connection &db, const RecordFilter &filter);

// The anchor --max-id/--max-time give, else the newest id and time now.
Anchor anchor_of(Connection &db, const ColumnSet &set, const ListOptions &opts,
                 const RecordFilter &filter);

// The filter under `anchor`: only rows with id <= anchor.id and ts <= anchor.ts.
RecordFilter anchored_filter(RecordFilter filter, const Anchor &anchor);

// Rows before page --page of --limit.
long long page_offset(const ListOptions &opts);

// The statement of page --page of --limit rows (plus `extra_rows`, which tell
// whether a next page exists) under `anchor`.
Page anchored_page(const ListOptions &opts, RecordFilter filter, const PageQuery &query,
                   const Anchor &anchor, int extra_rows);

// Matches `offset` .. `offset + count - 1` of `filter`, newest first: by
// `query`, or for trace.requests through its block summaries where the
// database has them (block_walk.hpp), whose answer is the same.
std::vector<RecordRow> listed_rows(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, const PageQuery &query,
                                   long long offset, long long count);

// The page's rows, whether there is a next page, and the anchor it stands on.
// Read by listed_rows.
struct PageRows {
    std::vector<RecordRow> rows;
    bool more = false;
    Anchor anchor;
};
PageRows read_page(Connection &db, const ColumnSet &set, const ListOptions &opts,
                   const RecordFilter &filter, const PageQuery &query);

// The failures people meet first (no schema, no trace_reader) with a hint at
// what to do; any other error as it is.
[[noreturn]] void explain_failure(const PgError &e);

}  // namespace trace_ctl

#endif
