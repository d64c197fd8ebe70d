// What trace-ctl needs to know about Citus, and `migrate --distribute`: the
// trace tables distributed by host, colocated, so that a batch's rows and its
// ledger row are on one shard and its transaction stays on one node.

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

struct DistributeResult {
    std::vector<std::string> distributed;   // tables distributed by this run
    std::vector<std::string> already;       // tables that were distributed before
};

// Distributes every trace table that is not yet, by host, colocated with
// trace.requests, in one transaction. Throws when a table is distributed
// already by another column or as a reference table: that is not a layout
// trace-ctl made, and it changes nothing then.
DistributeResult distribute_tables(Connection &db);

}  // namespace trace_ctl

#endif
