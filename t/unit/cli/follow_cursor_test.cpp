#include "records/follow_cursor.hpp"

#include <gtest/gtest.h>

using trace_ctl::FollowCursor;

TEST(FollowCursor, EachRowOnceAndNothingFromBefore) {
    FollowCursor c(100, 7.5, 5);
    EXPECT_EQ(c.floor(), 100);
    EXPECT_EQ(c.floor_time(), 7.5);
    EXPECT_FALSE(c.take(100));  // part of the backlog
    EXPECT_FALSE(c.take(42));
    EXPECT_TRUE(c.take(101));
    EXPECT_FALSE(c.take(101));  // read again by the next poll: not printed twice
    EXPECT_EQ(c.printed_ids(), (std::vector<std::int64_t>{101}));
}

// Worker A took ids 101-110 but commits after worker B's 111-120 became visible.
TEST(FollowCursor, ALateCommitBelowNewerRowsIsStillPrinted) {
    FollowCursor c(100, 0, 5);
    for (int id = 111; id <= 120; ++id) {
        EXPECT_TRUE(c.take(id));
    }
    c.polled(1.0, 120);
    EXPECT_EQ(c.floor(), 100);  // still looks below 111
    c.polled(2.0, 120);
    for (int id = 101; id <= 110; ++id) {
        EXPECT_TRUE(c.take(id)) << id;
    }
    for (int id = 101; id <= 120; ++id) {
        EXPECT_FALSE(c.take(id)) << id;
    }
}

TEST(FollowCursor, TheFloorTrailsByTheGraceTime) {
    FollowCursor c(100, 0, 5);
    c.take(101);
    c.take(150);
    c.polled(10.0, 150);
    c.polled(12.0, 160);
    EXPECT_EQ(c.floor(), 100);
    c.polled(15.0, 170);  // the mark of t=10 is now 5 s old
    EXPECT_EQ(c.floor(), 150);
    EXPECT_EQ(c.floor_time(), 10.0);  // when 150 was the newest
    EXPECT_TRUE(c.printed_ids().empty());  // nothing above the floor to remember
    c.polled(17.5, 170);
    EXPECT_EQ(c.floor(), 160);
    EXPECT_EQ(c.floor_time(), 12.0);
    EXPECT_FALSE(c.take(155));  // too late: older than the grace time
    EXPECT_TRUE(c.take(165));
}
