// What the sender thread needs of a database connection: connect, ask a
// yes-or-no question of the schema, run one transaction (statements and a
// COPY), learn its outcome, quote a literal.
// PgLink is the real one, over libpq; the unit tests use a fake.

#ifndef TRACE_CORE_LINK_HPP
#define TRACE_CORE_LINK_HPP

#include "deadline.hpp"

#include <functional>
#include <optional>
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

class Link {
public:
    virtual ~Link() = default;

    virtual bool connected() const = 0;
    // The last failure, one line.
    virtual const std::string &error() const = 0;

    // Connects within `timeout`; false (and error()) when that fails.
    virtual bool connect(Millis timeout) = 0;
    virtual void close() = 0;

    // Runs `sql`, one SELECT of one boolean value (what the schema has, such
    // as to_regclass(...) IS NOT NULL), outside any transaction of rows. Its
    // answer; nullopt (and error()) when it could not be had.
    virtual std::optional<bool> query_bool(const std::string &sql, Millis timeout) = 0;

    // Runs `sql`, one simple query that may hold statements and at most one
    // COPY ... FROM STDIN, which is fed `copy_data`. All of it runs as one
    // implicit transaction. Its first statement inserts the batch's ledger
    // row: a unique violation there is `duplicate`. A failure whose outcome is
    // unknown (the connection broke after the commit was sent) is `failed`,
    // like any other.
    virtual TxResult run(const std::string &sql, std::string_view copy_data, Millis timeout) = 0;

    // An SQL literal for `value`, quoted for this connection.
    virtual std::string literal(std::string_view value) const = 0;

    // Called at least every tick_interval while a step waits on the server,
    // so that the sender can move queued batches to disk meanwhile.
    virtual void set_tick(std::function<void()> tick) = 0;
    static constexpr Millis tick_interval{100};
};

}  // namespace trace

#endif
