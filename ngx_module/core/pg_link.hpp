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
#include <string>
#include <string_view>

namespace trace {

class PgLink : public Link {
public:
    // `hard_deadline` can only shorten waits (the drain bound at shutdown);
    // `wake_fd` interrupts a wait so that a new hard deadline is seen at once.
    PgLink(std::string conninfo, const std::atomic<TimeCount> &hard_deadline, int wake_fd);
    ~PgLink() override;
    PgLink(const PgLink &) = delete;
    PgLink &operator=(const PgLink &) = delete;

    bool connected() const override { return conn_ != nullptr; }
    const std::string &error() const override { return error_; }
    bool connect(Millis timeout) override;
    void close() override;
    TxResult run(const std::string &sql, std::string_view copy_data, Millis timeout) override;
    std::string literal(std::string_view value) const override;
    void set_tick(std::function<void()> tick) override { tick_ = std::move(tick); }

private:
    enum class Wait { ready, timeout, failed };
    Wait wait_socket(bool for_write, Clock::time_point until);
    bool flush_output(Clock::time_point until);
    bool put_copy_data(std::string_view data, Clock::time_point until);
    Clock::time_point limit(Clock::time_point until) const;
    TxResult fail(const std::string &what);

    std::string conninfo_;
    const std::atomic<TimeCount> &hard_deadline_;
    int wake_fd_;
    std::function<void()> tick_;
    PGconn *conn_ = nullptr;
    std::string error_;
};

// Whether a SQLSTATE says the rows were at fault (data exceptions, integrity
// violations, program limits such as an index entry too large), rather than the
// connection or the server's state.
bool is_data_error(std::string_view sqlstate);

// An SQL literal in the standard conforming form ('' for '), which every
// supported server speaks, for when there is no connection to quote it.
std::string standard_literal(std::string_view value);

}  // namespace trace

#endif
