// The statements of the block walk (block_walk.hpp): the blocks that may hold
// a filter's rows, the rows of their time ranges, and the rows no block
// covers. Every value travels as a $n parameter; the row condition is
// build_where's, exact, so a block that claims a key it does not hold costs a
// range read and never shows a row.

#ifndef TRACE_CTL_RECORDS_BLOCK_WALK_SQL_HPP
#define TRACE_CTL_RECORDS_BLOCK_WALK_SQL_HPP

#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "records/block_keys.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"

#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// A statement and its parameters.
struct Statement {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};

// A time range of trace.requests, as a block has it.
struct TimeRange {
    EpochMicros first = 0;
    EpochMicros last = 0;
};

// The blocks that may match, newest last_ts first: at most `limit`, with
// last_ts < `before` when given. Selects first_ts and last_ts in epoch
// microseconds.
Statement candidate_blocks_sql(const BlockPredicate &predicate, const RecordFilter &filter,
                               std::optional<EpochMicros> before, long long limit);

// Every block that may match whose last_ts is `last`: those that share the
// last_ts a LIMIT cut through.
Statement blocks_ending_at_sql(const BlockPredicate &predicate, const RecordFilter &filter,
                               EpochMicros last);

// The batches committed at `since` or later (trace.batches by committed_at):
// their host and batch_id. Then the time ranges of their blocks (through the
// blocks' key), first_ts and last_ts in epoch microseconds: where --follow
// finds new rows. Two statements, not a join: on Citus the two tables are
// colocated by batch_key (sql/0008), which a join on host and batch_id does
// not name.
Statement recent_batches_sql(EpochMicros since);
Statement blocks_of_batches_sql(const std::vector<std::string> &hosts,
                                const std::vector<std::string> &batch_ids);

// How the rows of several ranges are read: one range scan of requests_ts_idx
// each (a LATERAL join over them), or one statement with an OR of the ranges,
// which Citus can send to the shards of a distributed trace.requests (it
// cannot push a LATERAL join down to them).
enum class RangeScan { one_per_range, one_for_all };

// The `limit` newest matching rows of the ranges (which do not overlap).
// Selects `set`'s columns (and, one_per_range, two more after them).
Statement ranges_rows_sql(const ColumnSet &set, const RecordFilter &filter,
                          const std::vector<TimeRange> &ranges, long long limit,
                          RangeScan scan = RangeScan::one_per_range);

// How far migrate's backfill has written blocks (0 before it has).
Statement backfill_through_sql();

// The `limit` newest matching rows that no block covers: not summarised and
// past the backfill's through_id, through requests_unsummarised_idx.
Statement uncovered_rows_sql(const ColumnSet &set, const RecordFilter &filter,
                             long long through_id, long long limit);

// The bit tests of one key in a Bloom filter column, with h1 and h2 as the
// parameters named: what SQL asks where bloom_may_hold asks in C++.
std::string bloom_test_sql(BloomColumn column, const std::string &h1, const std::string &h2);

}  // namespace trace_ctl

#endif
