// Delivering batches to PostgreSQL exactly once: each batch's rows are copied
// in the same transaction that records its id in trace.batches; a batch the
// server refuses for its data is split until the offending rows are alone, and
// those go to trace.rejected with the server's reason.

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

    Sender(Link &link, Millis timeout, trace_stats_t &stats, Notice notice);

    Delivery deliver(const Batch &batch);

private:
    Delivery reject(const Batch &row, const std::string &reason);
    std::string ledger_insert(const Batch &b) const;

    Link &link_;
    Millis timeout_;
    trace_stats_t &stats_;
    Notice notice_;
};

}  // namespace trace

#endif
