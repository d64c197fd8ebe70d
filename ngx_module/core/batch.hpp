// A batch: rows of one table in COPY text, sent in one transaction under an id
// that makes the send idempotent.

#ifndef TRACE_CORE_BATCH_HPP
#define TRACE_CORE_BATCH_HPP

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace trace {

enum class Table : std::uint8_t { requests = 1, audit = 2 };

const char *table_name(Table t);         // "trace.requests"
const char *table_columns(Table t);      // the COPY column list

struct Batch {
    Table table = Table::requests;
    std::string id;           // "<instance hex>-<sequence>", ".0"/".1" per split
    std::string host;         // trace_host when it was made: the ledger's key
    std::string rows;         // COPY text; every row ends in '\n'
    std::uint32_t row_count = 0;
    // When the worker handed it to the sender thread (not kept in the spool).
    std::chrono::steady_clock::time_point sealed_at{};

    // The two halves of a batch the server refused, with ids derived from this
    // one: the split is the same on every attempt, so a half committed before
    // a crash is recognised when the batch is tried again.
    std::pair<Batch, Batch> split() const;

    // The batch's distribution value (sql/0008, trace.*.batch_key): 31 bits of
    // a hash of its id, so the same on every attempt: a batch sent again meets
    // its ledger row on the same Citus shard, and a split half goes where its
    // id says. Spreads a host's batches over the shards.
    std::int32_t key() const;
};

}  // namespace trace

#endif
