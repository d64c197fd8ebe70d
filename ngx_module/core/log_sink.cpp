#include "log_sink.hpp"

#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace trace {

namespace {
constexpr std::size_t max_pending = 64;
}

LogSink::LogSink(trace_log_pt log, void *ctx) : log_(log), ctx_(ctx) {
    notify_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

LogSink::~LogSink() {
    if (notify_fd_ >= 0) {
        ::close(notify_fd_);
    }
}

void LogSink::post(int level, std::string message) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (pending_.size() >= max_pending) {
            ++lost_;
            return;
        }
        pending_.push_back({level, std::move(message)});
    }
    std::uint64_t one = 1;
    ssize_t ignored = ::write(notify_fd_, &one, sizeof(one));
    (void)ignored;
}

void LogSink::drain() {
    std::uint64_t count;
    while (::read(notify_fd_, &count, sizeof(count)) > 0) {
    }
    std::vector<Message> messages;
    std::size_t lost;
    {
        std::lock_guard<std::mutex> lock(mu_);
        messages.swap(pending_);
        lost = lost_;
        lost_ = 0;
    }
    if (log_ == nullptr) {
        return;
    }
    for (const auto &m : messages) {
        log_(ctx_, m.level, m.text.data(), m.text.size());
    }
    if (lost != 0) {
        std::string note = "trace: " + std::to_string(lost) + " more messages were not logged";
        log_(ctx_, TRACE_LOG_WARN, note.data(), note.size());
    }
}

bool RateLimit::allow(std::size_t &suppressed) {
    Clock::time_point now = Clock::now();
    if (ever_ && now - last_ < interval_) {
        ++held_;
        return false;
    }
    ever_ = true;
    last_ = now;
    suppressed = held_;
    held_ = 0;
    return true;
}

}  // namespace trace
