// Deadlines on the monotonic clock, for the sender thread's waits.

#ifndef TRACE_CORE_DEADLINE_HPP
#define TRACE_CORE_DEADLINE_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace trace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// A point in time on Clock as a count, so that it can live in an atomic:
// the drain deadline is set by the worker's thread and read by the sender.
using TimeCount = std::int64_t;
inline constexpr TimeCount no_deadline = INT64_MAX;

inline TimeCount to_count(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

inline Clock::time_point from_count(TimeCount c) {
    return Clock::time_point(std::chrono::nanoseconds(c));
}

// How long poll() may wait until `until`, clamped to [0, 1 hour].
inline int poll_timeout_ms(Clock::time_point until) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(left, 0, 3600 * 1000));
}

}  // namespace trace

#endif
