#include "sender.hpp"

#include "stats.hpp"

namespace trace {

Sender::Sender(Link &link, Millis timeout, trace_stats_t &stats, Notice notice)
    : link_(link), timeout_(timeout), stats_(stats), notice_(std::move(notice)) {}

std::string Sender::ledger_insert(const Batch &b) const {
    return "INSERT INTO trace.batches (host, batch_id, row_count) VALUES (" +
           link_.literal(b.host) + ", " + link_.literal(b.id) + ", " +
           std::to_string(b.row_count) + ")";
}

Delivery Sender::deliver(const Batch &batch) {
    // One simple query is one implicit transaction: the ledger row and the
    // copied rows commit together or not at all.
    std::string sql = ledger_insert(batch) + "; COPY " + table_name(batch.table) + " (" +
                      table_columns(batch.table) + ") FROM STDIN";
    TxResult r = link_.run(sql, batch.rows, timeout_);
    switch (r.outcome) {
    case TxOutcome::committed:
        stat_add(stats_.sent_rows, batch.row_count);
        stat_add(stats_.sent_batches, 1);
        return Delivery::done;
    case TxOutcome::duplicate:
        stat_add(stats_.duplicate_batches, 1);
        return Delivery::done;
    case TxOutcome::failed:
        return Delivery::retry;
    case TxOutcome::data_error:
        break;
    }
    if (batch.row_count <= 1) {
        return reject(batch, r.error);
    }
    auto [left, right] = batch.split();
    if (deliver(left) == Delivery::retry) {
        return Delivery::retry;
    }
    return deliver(right);
}

Delivery Sender::reject(const Batch &row, const std::string &reason) {
    std::string text = row.rows;
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    std::string sql = ledger_insert(row) +
                      "; INSERT INTO trace.rejected (host, batch_id, table_name, row_text, error) "
                      "VALUES (" +
                      link_.literal(row.host) + ", " + link_.literal(row.id) + ", " +
                      link_.literal(table_name(row.table)) + ", " + link_.literal(text) + ", " +
                      link_.literal(reason) + ")";
    TxResult r = link_.run(sql, {}, timeout_);
    switch (r.outcome) {
    case TxOutcome::committed:
        stat_add(stats_.rejected_rows, row.row_count);
        notice_(TRACE_LOG_WARN, "trace: PostgreSQL refused a row of " +
                                    std::string(table_name(row.table)) + " (" + reason +
                                    "); it is kept in trace.rejected");
        return Delivery::done;
    case TxOutcome::duplicate:
        return Delivery::done;
    case TxOutcome::failed:
        return Delivery::retry;
    case TxOutcome::data_error:
        break;
    }
    // Not even the rejected-rows table takes it: nothing more can be done.
    stat_add(stats_.dropped_rows, row.row_count);
    notice_(TRACE_LOG_ERR, "trace: a row of " + std::string(table_name(row.table)) +
                               " was refused and could not be kept in trace.rejected either (" +
                               r.error + "); it is lost");
    return Delivery::done;
}

}  // namespace trace
