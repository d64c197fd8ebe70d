// Delivering batches to PostgreSQL exactly once: each batch's rows are copied
// in the same transaction that records its id in trace.batches; a batch the
// server refuses for its data is split until the offending rows are alone, and
// those go to trace.rejected with the server's reason.
//
// Rows of trace.requests go with their block summaries (request_blocks.hpp)
// when the database has trace.request_blocks, and as before when it does not
// (a schema before sql/0006). The sender asks which at every connection and
// again before a batch once schema_recheck has passed, so that trace-ctl
// migrate, run while nginx runs, is seen without a reconnect; and after any
// failure, since a statement made for another schema fails (an undefined
// column or table) without being the rows' fault.

#ifndef TRACE_CORE_SENDER_HPP
#define TRACE_CORE_SENDER_HPP

#include "batch.hpp"
#include "link.hpp"
#include "trace_core.h"

#include <functional>
#include <string>

namespace trace {

enum class Delivery {
    done,       // every row is in trace.requests/audit or trace.rejected
    retry,      // nothing certain: keep the batch and try again later
};

class Sender {
public:
    using Notice = std::function<void(int level, const std::string &)>;

    static constexpr Millis default_schema_recheck{30000};

    Sender(Link &link, Millis timeout, trace_stats_t &stats, Notice notice,
           Millis schema_recheck = default_schema_recheck);

    // Asks the database whether it has trace.request_blocks (at a connection);
    // false when the question failed (the link's error() says why).
    bool learn_schema();

    Delivery deliver(const Batch &batch);

private:
    Delivery deliver_rows(const Batch &batch);
    Delivery reject(const Batch &row, const std::string &reason);
    std::string transaction_start(const Batch &b) const;
    bool schema_due() const;

    Link &link_;
    Millis timeout_;
    trace_stats_t &stats_;
    Notice notice_;
    Millis schema_recheck_;
    bool schema_known_ = false;         // false: ask before the next batch
    bool request_blocks_ = false;       // the last answer
    bool ever_learned_ = false;
    Clock::time_point schema_learned_at_{};
};

}  // namespace trace

#endif
