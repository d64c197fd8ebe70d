// One PostgreSQL connection of the sender thread, driven in libpq's
// non-blocking mode with poll(), so that every step has a deadline and a hung
// server cannot hold the thread (and so nginx's reload or shutdown) for longer.

#ifndef TRACE_CORE_PG_LINK_HPP
#define TRACE_CORE_PG_LINK_HPP

#include "deadline.hpp"
#include "link.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace trace {

class PgLink : public Link {
public:
    // What the server says besides results (NOTICE, WARNING, ...): a level
    // (TRACE_LOG_*) and one line for the error log.
    using Notice = std::function<void(int level, const std::string &message)>;

    // `hard_deadline` can only shorten waits (the drain bound at shutdown);
    // `wake_fd` interrupts a wait so that a new hard deadline is seen at once.
    // The server's notices go to `notice` (none: they are dropped), never to
    // libpq's default, which writes them to stderr, nginx's error log, as bare
    // lines without a time or a level.
    PgLink(std::string conninfo, const std::atomic<TimeCount> &hard_deadline, int wake_fd,
           Notice notice = {});
    ~PgLink() override;
    PgLink(const PgLink &) = delete;
    PgLink &operator=(const PgLink &) = delete;

    bool connected() const override { return conn_ != nullptr; }
    const std::string &error() const override { return error_; }
    bool connect(Millis timeout) override;
    void close() override;
    std::optional<bool> query_bool(const std::string &sql, Millis timeout) override;
    TxResult run(const std::string &sql, std::string_view copy_data, Millis timeout) override;
    std::string literal(std::string_view value) const override;
    void set_tick(std::function<void()> tick) override { tick_ = std::move(tick); }

private:
    enum class Wait { ready, timeout, failed };
    Wait wait_socket(bool for_write, Clock::time_point until);
    bool flush_output(Clock::time_point until);
    bool put_copy_data(std::string_view data, Clock::time_point until);
    const char *await_result(Clock::time_point until);
    Clock::time_point limit(Clock::time_point until) const;
    TxResult fail(const std::string &what);
    static void receive_notice(void *self, const PGresult *notice);

    std::string conninfo_;
    const std::atomic<TimeCount> &hard_deadline_;
    int wake_fd_;
    std::function<void()> tick_;
    Notice notice_;
    PGconn *conn_ = nullptr;
    std::string error_;
};

// Whether a SQLSTATE says the rows were at fault (data exceptions, integrity
// violations, program limits such as an index entry too large), rather than the
// connection or the server's state. Not class 42 (an undefined column or table,
// 42703 or 42P01): that is a schema other than the one the statement was made
// for, such as a migration run meanwhile, and no split of the rows would help.
bool is_data_error(std::string_view sqlstate);

// A server notice as one line of the error log and its level: "trace:
// PostgreSQL WARNING: terminating connection ..." at TRACE_LOG_WARN, NOTICE at
// TRACE_LOG_NOTICE, anything else (INFO, LOG, DEBUG) at TRACE_LOG_INFO. Detail
// and hint follow the message when the server sent them.
struct NoticeLine {
    int level;
    std::string text;
};
NoticeLine notice_line(const char *severity, const char *primary, const char *detail,
                       const char *hint);

// An SQL literal in the standard conforming form ('' for '), which every
// supported server speaks, for when there is no connection to quote it.
std::string standard_literal(std::string_view value);

}  // namespace trace

#endif
