#include "schema/prune_ranges.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

using trace_ctl::cutoff_offset;
using trace_ctl::IdRange;
using trace_ctl::next_id_range;
using trace_ctl::one_past;

namespace {

constexpr std::int64_t max_id = std::numeric_limits<std::int64_t>::max();

// Every range the prune loop would walk from `lo` to `cutoff`.
std::vector<IdRange> walk(std::int64_t lo, std::int64_t cutoff, std::int64_t step) {
    std::vector<IdRange> out;
    while (auto r = next_id_range(lo, cutoff, step)) {
        out.push_back(*r);
        lo = r->hi;
    }
    return out;
}

}  // namespace

TEST(PruneRanges, BatchesCoverEverythingBelowTheCutoffOnce) {
    std::vector<IdRange> ranges = walk(1, 800001, 10000);
    ASSERT_EQ(ranges.size(), 80u);
    EXPECT_EQ(ranges.front().lo, 1);
    EXPECT_EQ(ranges.back().hi, 800001);
    for (size_t i = 1; i < ranges.size(); ++i) {
        EXPECT_EQ(ranges[i].lo, ranges[i - 1].hi) << "ranges must touch without overlapping";
    }
    for (const IdRange &r : ranges) {
        EXPECT_LE(r.hi - r.lo, 10000);
        EXPECT_GT(r.hi, r.lo);
    }
}

TEST(PruneRanges, LastBatchStopsAtTheCutoff) {
    std::vector<IdRange> ranges = walk(5, 28, 10);
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[2].lo, 25);
    EXPECT_EQ(ranges[2].hi, 28);
}

TEST(PruneRanges, NothingWhenTheBoundReachedTheCutoff) {
    EXPECT_FALSE(next_id_range(100, 100, 10));
    EXPECT_FALSE(next_id_range(101, 100, 10));
    EXPECT_FALSE(next_id_range(1, 100, 0)) << "a step of 0 would never advance";
}

TEST(PruneRanges, SaturatesNearTheEndOfBigint) {
    auto r = next_id_range(max_id - 5, max_id, 10000);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->lo, max_id - 5);
    EXPECT_EQ(r->hi, max_id);
    auto huge_step = next_id_range(max_id - 100, max_id - 1, max_id);
    ASSERT_TRUE(huge_step);
    EXPECT_EQ(huge_step->hi, max_id - 1);
}

TEST(PruneRanges, NegativeIdsWork) {
    std::vector<IdRange> ranges = walk(-25, 5, 10);
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[0].hi, -15);
    EXPECT_EQ(ranges[2].hi, 5);
}

TEST(PruneRanges, CutoffOffsetKeepsExactlyN) {
    // ORDER BY id DESC OFFSET keep-1 LIMIT 1 is the keep-th newest row.
    EXPECT_EQ(cutoff_offset(1), 0);
    EXPECT_EQ(cutoff_offset(10000), 9999);
    EXPECT_FALSE(cutoff_offset(0)) << "keeping nothing has no cutoff row";
    EXPECT_FALSE(cutoff_offset(-3));
}

TEST(PruneRanges, OnePastSaturates) {
    EXPECT_EQ(one_past(41), 42);
    EXPECT_EQ(one_past(max_id), max_id);
}
