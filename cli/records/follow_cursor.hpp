// Where `--follow` stands: which rows it has printed and from which id on it
// still looks.
//
// Ids are taken when a row is inserted, but rows become visible when their
// transaction commits, and several nginx workers commit batches concurrently:
// a row with id 100 can appear after one with id 120. Polling "id > last seen"
// would skip it for good. So each poll reads from a floor that trails behind:
// the newest id the table had `grace` seconds ago. Rows above the floor that
// were printed already are skipped, so every row is printed once, as long as
// its transaction commits within `grace` of a newer id becoming visible.
//
// Each floor also has its time: trace.requests has no index on id (sql/0007),
// and a poll there reads the batches committed since then, less `grace`
// (block_walk.hpp, recent_rows). The times are the database's clock, in
// seconds, read before the newest id of the same poll.

#ifndef TRACE_CTL_RECORDS_FOLLOW_CURSOR_HPP
#define TRACE_CTL_RECORDS_FOLLOW_CURSOR_HPP

#include <cstdint>
#include <deque>
#include <set>
#include <vector>

namespace trace_ctl {

class FollowCursor {
public:
    // `start_id`: the newest id when following began at `start_time` (rows up
    // to it were the backlog); `grace_seconds`: how late a commit may come.
    FollowCursor(std::int64_t start_id, double start_time, double grace_seconds);

    // Poll for rows with id > floor() that are not in printed_ids().
    std::int64_t floor() const { return floor_; }
    // When the floor was the newest id.
    double floor_time() const { return floor_time_; }
    std::vector<std::int64_t> printed_ids() const;

    // True the first time an id is offered (above the floor): print the row.
    bool take(std::int64_t id);

    // After a poll at time `now` that began when the table's newest id was
    // `newest_id`: moves the floor up to what the table held `grace` seconds
    // ago and forgets the ids below it.
    void polled(double now, std::int64_t newest_id);

private:
    struct Mark {
        double time;
        std::int64_t newest_id;
    };
    double grace_;
    std::int64_t floor_;
    double floor_time_;
    std::deque<Mark> marks_;
    std::set<std::int64_t> printed_;
};

}  // namespace trace_ctl

#endif
