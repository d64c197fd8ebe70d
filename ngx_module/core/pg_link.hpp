// One PostgreSQL connection of the sender thread, driven in libpq's
// non-blocking mode with poll(), so that every step has a deadline and a hung
// server cannot hold the thread (and so nginx's reload or shutdown) for longer.

#ifndef TRACE_CORE_PG_LINK_HPP
#define TRACE_CORE_PG_LINK_HPP

#include "deadline.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

namespace trace {

// What became of a transaction.
enum class TxOutcome {
    committed,
    duplicate,    // its batch id was already committed: nothing to do
    data_error,   // the server refused the rows themselves
    failed,       // connection lost, timeout, or the server cannot take it now
};

struct TxResult {
    TxOutcome outcome = TxOutcome::failed;
    std::string error;            // one line, for logs and trace.rejected
};

class PgLink {
public:
    // `hard_deadline` can only shorten waits (the drain bound at shutdown);
    // `wake_fd` interrupts a wait so that a new hard deadline is seen at once.
    PgLink(std::string conninfo, const std::atomic<TimeCount> &hard_deadline, int wake_fd);
    ~PgLink();
    PgLink(const PgLink &) = delete;
    PgLink &operator=(const PgLink &) = delete;

    bool connected() const { return conn_ != nullptr; }
    const std::string &error() const { return error_; }

    // Connects within `timeout`; false (and error()) when that fails.
    bool connect(Millis timeout);
    void close();

    // Runs `sql`, one simple query that may hold statements and at most one
    // COPY ... FROM STDIN, which is fed `copy_data`. All of it runs as one
    // implicit transaction.
    TxResult run(const std::string &sql, std::string_view copy_data, Millis timeout);

    // An SQL literal for `value`, quoted for this connection.
    std::string literal(std::string_view value) const;

    // Called at least every tick_interval while a step waits on the server,
    // so that the sender can move queued batches to disk meanwhile.
    void set_tick(std::function<void()> tick) { tick_ = std::move(tick); }
    static constexpr Millis tick_interval{100};

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

}  // namespace trace

#endif
