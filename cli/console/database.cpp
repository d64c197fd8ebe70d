#include "console/database.hpp"

namespace trace_ctl {

namespace {

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
            // it: reading what is there (without waiting) tells.
            if (PQconsumeInput(conn->raw()) == 1 && PQstatus(conn->raw()) == CONNECTION_OK) {
                return std::make_unique<Lease>(*this, std::move(conn));
            }
        }
    }
    auto conn = std::make_unique<Connection>(Connection::open(conninfo_));
    // Set once per connection: every statement after this is bounded and
    // read-only, whatever the page.
    conn->exec_params("SELECT set_config('statement_timeout', $1, false), "
                      "set_config('default_transaction_read_only', 'on', false), "
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
