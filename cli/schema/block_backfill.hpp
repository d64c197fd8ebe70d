// Block summaries (sql/0006) for the rows of trace.requests that have none:
// those written before 0006, or since by a module that knows nothing of
// blocks. migrate runs it after the migrations; a listing reads the rows past
// through_id on their own (records/block_walk.hpp), so nothing is unseen
// before it runs or while it does.

#ifndef TRACE_CTL_SCHEMA_BLOCK_BACKFILL_HPP
#define TRACE_CTL_SCHEMA_BLOCK_BACKFILL_HPP

#include "app/pg.hpp"

#include <iosfwd>

namespace trace_ctl {

struct BackfillResult {
    bool has_blocks = false;  // false: the schema is older than 0006
    long long rows = 0;
    long long blocks = 0;
    long long through_id = 0;  // after it
    double locked_seconds = 0;  // trace.requests held in SHARE mode
};

// Writes the blocks in one transaction, under LOCK TABLE trace.requests IN
// SHARE MODE: the module's inserts wait (it retries, or spools), so that no
// row can commit below the new through_id unsummarised. Run again, it finds
// nothing to write.
BackfillResult backfill_request_blocks(Connection &db);

// "summarised 1000000 rows in 3906 blocks, 4.1 s", or that no row needed it.
void report_backfill(const BackfillResult &r, std::ostream &out);

}  // namespace trace_ctl

#endif
