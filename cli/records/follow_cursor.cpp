#include "records/follow_cursor.hpp"

#include <algorithm>

namespace trace_ctl {

FollowCursor::FollowCursor(std::int64_t start_id, double start_time, double grace_seconds)
    : grace_(grace_seconds), floor_(start_id), floor_time_(start_time) {}

std::vector<std::int64_t> FollowCursor::printed_ids() const {
    return {printed_.begin(), printed_.end()};
}

bool FollowCursor::take(std::int64_t id) {
    if (id <= floor_) {
        return false;
    }
    return printed_.insert(id).second;
}

void FollowCursor::polled(double now, std::int64_t newest_id) {
    marks_.push_back({now, newest_id});
    while (!marks_.empty() && marks_.front().time <= now - grace_) {
        if (marks_.front().newest_id >= floor_) {
            floor_ = marks_.front().newest_id;
            floor_time_ = marks_.front().time;
        }
        marks_.pop_front();
    }
    printed_.erase(printed_.begin(), printed_.upper_bound(floor_));
}

}  // namespace trace_ctl
