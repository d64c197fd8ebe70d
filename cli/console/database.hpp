// The console's PostgreSQL connections: a small pool, each connection set up
// to be read-only with a statement timeout, so that a slow query is bounded
// and nothing the console runs can change data. A connection that breaks (the
// database went away) is dropped; the next request opens a new one, so the
// console follows the database as it goes and comes back.

#ifndef TRACE_CTL_CONSOLE_DATABASE_HPP
#define TRACE_CTL_CONSOLE_DATABASE_HPP

#include "app/pg.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace trace_ctl {

class ConnectionPool {
public:
    ConnectionPool(std::string conninfo, int statement_timeout_ms);

    // A connection lent for one request; back to the pool when it ends, unless
    // it broke meanwhile.
    class Lease {
    public:
        Lease(ConnectionPool &pool, std::unique_ptr<Connection> conn)
            : pool_(pool), conn_(std::move(conn)) {}
        Lease(const Lease &) = delete;
        Lease &operator=(const Lease &) = delete;
        ~Lease();
        Connection &operator*() { return *conn_; }
        Connection *operator->() { return conn_.get(); }

    private:
        ConnectionPool &pool_;
        std::unique_ptr<Connection> conn_;
    };

    // Throws PgError when the database cannot be reached.
    std::unique_ptr<Lease> acquire();

    int statement_timeout_ms() const { return statement_timeout_ms_; }

private:
    void give_back(std::unique_ptr<Connection> conn);

    std::string conninfo_;
    int statement_timeout_ms_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace trace_ctl

#endif
