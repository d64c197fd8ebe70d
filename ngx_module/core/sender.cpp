#include "sender.hpp"

#include "request_blocks.hpp"
#include "stats.hpp"

namespace trace {

namespace {

// trace_writer may ask: to_regclass needs no privilege on the table itself.
constexpr const char *request_blocks_question =
    "SELECT to_regclass('trace.request_blocks') IS NOT NULL";

}  // namespace

Sender::Sender(Link &link, Millis timeout, trace_stats_t &stats, Notice notice,
               Millis schema_recheck)
    : link_(link),
      timeout_(timeout),
      stats_(stats),
      notice_(std::move(notice)),
      schema_recheck_(schema_recheck) {}

bool Sender::learn_schema() {
    std::optional<bool> blocks = link_.query_bool(request_blocks_question, timeout_);
    if (!blocks) {
        schema_known_ = false;
        return false;
    }
    // A change is said (a migration while nginx runs, a database replaced);
    // a schema before 0006 from the start is one trace-ctl status shows.
    if (ever_learned_ && *blocks != request_blocks_) {
        notice_(TRACE_LOG_NOTICE,
                *blocks ? "trace: the database has trace.request_blocks now; rows of "
                          "trace.requests are sent with their block summaries"
                        : "trace: the database has no trace.request_blocks (a schema before "
                          "0006; trace-ctl migrate adds it); rows of trace.requests are sent "
                          "without block summaries");
    }
    request_blocks_ = *blocks;
    ever_learned_ = true;
    schema_known_ = true;
    schema_learned_at_ = Clock::now();
    return true;
}

bool Sender::schema_due() const {
    return !schema_known_ || Clock::now() - schema_learned_at_ >= schema_recheck_;
}

// How every transaction of a batch begins: its key, which the schema's
// batch_key columns take as their default (sql/0008), so that the ledger row,
// the rows, their blocks and a refused row of one batch carry one value, the
// one Citus distributes by (a custom setting: a schema without the columns
// accepts it too); then its ledger row, whose unique violation pg_link.cpp
// reads as "already written" (the second statement).
std::string Sender::transaction_start(const Batch &b) const {
    return "SET LOCAL trace.batch_key = '" + std::to_string(b.key()) +
           "'; INSERT INTO trace.batches (host, batch_id, row_count) VALUES (" +
           link_.literal(b.host) + ", " + link_.literal(b.id) + ", " +
           std::to_string(b.row_count) + ")";
}

Delivery Sender::deliver(const Batch &batch) {
    if (batch.table == Table::requests && schema_due() && !learn_schema()) {
        return Delivery::retry;
    }
    return deliver_rows(batch);
}

Delivery Sender::deliver_rows(const Batch &batch) {
    // One simple query is one implicit transaction: the ledger row, the copied
    // rows and their blocks commit together or not at all. A split half is
    // summarised on its own, under its own id.
    bool summarised = batch.table == Table::requests && request_blocks_;
    std::string sql = transaction_start(batch) + "; COPY " + table_name(batch.table) + " (" +
                      (summarised ? summarised_request_columns() : table_columns(batch.table)) +
                      ") FROM STDIN";
    TxResult r;
    if (summarised) {
        std::string blocks = request_blocks_insert(batch, link_);
        if (!blocks.empty()) {
            sql += "; " + blocks;
        }
        r = link_.run(sql, summarised_rows(batch.rows), timeout_);
    } else {
        r = link_.run(sql, batch.rows, timeout_);
    }
    switch (r.outcome) {
    case TxOutcome::committed:
        stat_add(stats_.sent_rows, batch.row_count);
        stat_add(stats_.sent_batches, 1);
        return Delivery::done;
    case TxOutcome::duplicate:
        stat_add(stats_.duplicate_batches, 1);
        return Delivery::done;
    case TxOutcome::failed:
        // Perhaps the schema changed under the statement (42703, 42P01): it
        // is asked again before the retry.
        schema_known_ = false;
        return Delivery::retry;
    case TxOutcome::data_error:
        break;
    }
    if (batch.row_count <= 1) {
        return reject(batch, r.error);
    }
    auto [left, right] = batch.split();
    if (deliver_rows(left) == Delivery::retry) {
        return Delivery::retry;
    }
    return deliver_rows(right);
}

Delivery Sender::reject(const Batch &row, const std::string &reason) {
    std::string text = row.rows;
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    std::string sql = transaction_start(row) +
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
        schema_known_ = false;
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
