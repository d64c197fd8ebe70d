#include "console/database.hpp"

#include <poll.h>

namespace trace_ctl {

namespace {

// Whether the server has closed its end of an idle connection. A server that
// shuts down sends its last words (FATAL: terminating connection) and then
// closes: reading may take in the words and leave the connection looking well
// until it next reads; the socket's state says at once.
bool closed_by_server(PGconn *conn) {
    pollfd p{PQsocket(conn), POLLIN | POLLRDHUP, 0};
    return p.fd < 0 || (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0);
}

// Idle connections kept; more requests at once open more, closed afterwards.
constexpr size_t idle_max = 4;

}  // namespace

ConnectionPool::ConnectionPool(std::string conninfo, int statement_timeout_ms)
    : conninfo_(std::move(conninfo)), statement_timeout_ms_(statement_timeout_ms) {}

ConnectionPool::Lease::~Lease() {
    if (conn_ && PQstatus(conn_->raw()) == CONNECTION_OK &&
        PQtransactionStatus(conn_->raw()) == PQTRANS_IDLE) {
        pool_.give_back(std::move(conn_));
    }
}

std::unique_ptr<ConnectionPool::Lease> ConnectionPool::acquire() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        while (!idle_.empty()) {
            std::unique_ptr<Connection> conn = std::move(idle_.back());
            idle_.pop_back();
            // A server that went away while the connection was idle has closed
            // it: its socket, and reading what is there (without waiting), tell.
            if (!closed_by_server(conn->raw()) && PQconsumeInput(conn->raw()) == 1 &&
                PQstatus(conn->raw()) == CONNECTION_OK) {
                return std::make_unique<Lease>(*this, std::move(conn));
            }
        }
    }
    auto conn = std::make_unique<Connection>(Connection::open(conninfo_));
    // Set once per connection: every statement after this is bounded and
    // read-only, whatever the page. And never compiled by JIT: the planner
    // over-estimates the summaries' generate_series and joins, and an
    // overview spent 0.9 s compiling a statement that runs in 40 ms.
    conn->exec_params("SELECT set_config('statement_timeout', $1, false), "
                      "set_config('default_transaction_read_only', 'on', false), "
                      "set_config('jit', 'off', false), "
                      "set_config('application_name', 'trace-ctl serve', false)",
                      {std::to_string(statement_timeout_ms_)});
    return std::make_unique<Lease>(*this, std::move(conn));
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < idle_max) {
        idle_.push_back(std::move(conn));
    }
}

}  // namespace trace_ctl
