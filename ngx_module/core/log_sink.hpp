// Messages for nginx's error log. The sender thread must not call into nginx,
// so it queues its messages here and pokes an eventfd; the worker's thread
// drains them into the error log. Repeated failures are rate-limited per kind.

#ifndef TRACE_CORE_LOG_SINK_HPP
#define TRACE_CORE_LOG_SINK_HPP

#include "deadline.hpp"
#include "trace_core.h"

#include <mutex>
#include <string>
#include <vector>

namespace trace {

class LogSink {
public:
    LogSink(trace_log_pt log, void *ctx);
    ~LogSink();
    LogSink(const LogSink &) = delete;
    LogSink &operator=(const LogSink &) = delete;

    int notify_fd() const { return notify_fd_; }

    // From any thread: queue a message (dropped beyond a small bound).
    void post(int level, std::string message);

    // From the worker's thread: write what is queued.
    void drain();

private:
    struct Message {
        int level;
        std::string text;
    };

    trace_log_pt log_;
    void *ctx_;
    int notify_fd_ = -1;
    std::mutex mu_;
    std::vector<Message> pending_;
    std::size_t lost_ = 0;
};

// Lets a kind of message through at most once per interval; counts the rest.
class RateLimit {
public:
    explicit RateLimit(Millis interval) : interval_(interval) {}

    // True when a message may be written now; `suppressed` then says how many
    // were held back since the last one.
    bool allow(std::size_t &suppressed);

private:
    Millis interval_;
    Clock::time_point last_{};
    bool ever_ = false;
    std::size_t held_ = 0;
};

}  // namespace trace

#endif
