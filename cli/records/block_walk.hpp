// A page of trace.requests read through its block summaries (sql/0006): the
// blocks whose Bloom filters may hold the filter's keys, newest first, a
// growing number at a time (16, 64, 256, ...), and the matching rows of their
// time ranges; plus the rows no block covers. Complete once enough matches are
// newer than the newest block not yet read: every row newer than that block's
// last_ts lies in a block already read. The answer is the plain query's
// (newest_first_query), row for row.

#ifndef TRACE_CTL_RECORDS_BLOCK_WALK_HPP
#define TRACE_CTL_RECORDS_BLOCK_WALK_HPP

#include "app/pg.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace trace_ctl {

// Whether listings of `set` read through blocks here: trace.requests, on a
// database that has trace.request_blocks (asked once per connection). Audit,
// and databases before 0006, keep reading their indexes.
bool reads_blocks(Connection &db, const ColumnSet &set);

// Matches `offset` .. `offset + count - 1` of `filter` (anchored: max_id and
// max_ts set), newest first by (ts, id). A filter without a key reads as
// newest_first_query does. With `plans`, every statement is also run under
// EXPLAIN ANALYZE and its plan appended (for --explain).
std::vector<RecordRow> walk_blocks(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, long long offset, long long count,
                                   nlohmann::json *plans = nullptr);

// For --follow: the rows of `filter` (its after_id the cursor's floor) that
// batches committed at `committed_since` or later wrote, read through their
// blocks' time ranges, and the rows no block covers above the floor; in id
// order, each once. `full` says a statement stopped at `limit` rows: poll
// again at once.
std::vector<RecordRow> recent_rows(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, EpochMicros committed_since,
                                   long long limit, bool &full);

}  // namespace trace_ctl

#endif
