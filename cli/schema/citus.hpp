// What trace-ctl needs to know about Citus, and `migrate --distribute`: the
// trace tables distributed by batch_key (sql/0008; host for a schema
// distributed before it), colocated, so that a batch's rows and its ledger row
// are on one shard and its transaction stays on one node.

#ifndef TRACE_CTL_SCHEMA_CITUS_HPP
#define TRACE_CTL_SCHEMA_CITUS_HPP

#include "app/pg.hpp"

#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// The citus extension's version in this database, if it is installed.
std::optional<std::string> citus_version(Connection &db);

// Throws (one line, for exit 1) unless this database is a Citus coordinator:
// plain PostgreSQL, a database without the extension, or a worker node.
void require_citus_coordinator(Connection &db);

// Settings for a migration's transaction on Citus: DDL on distributed tables
// one shard after another over one connection per node, so that later
// statements of the same transaction (CREATE EXTENSION, a function) may follow
// it; in parallel, Citus refuses them.
void prepare_citus_transaction(Connection &db);

// Whether `table` is a Citus table (distributed or reference) already.
bool is_distributed(Connection &db, const std::string &table);

// Whether trace.requests is distributed by Citus (which keeps no rollups,
// sql/0009), asked once per connection.
bool requests_distributed(Connection &db);

struct DistributeResult {
    std::string column;                     // what the tables are distributed by
    std::vector<std::string> distributed;   // tables distributed by this run
    std::vector<std::string> referenced;    // tables made reference tables by this run
    std::vector<std::string> already;       // tables that were laid out before
};

// Lays out every trace table that is not yet, in one transaction: by the key
// column (see citus.cpp), colocated with trace.requests, and
// trace.request_blocks_backfill (one row) as a reference table. Tables the schema does not have yet are left for a
// later run. Throws when a table is laid out already in another way: that is
// not a layout trace-ctl made, and it changes nothing then.
DistributeResult distribute_tables(Connection &db);

}  // namespace trace_ctl

#endif
