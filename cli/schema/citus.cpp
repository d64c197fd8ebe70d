#include "schema/citus.hpp"

#include "app/table_output.hpp"

#include <stdexcept>

namespace trace_ctl {

namespace {

// requests first: the others are colocated with it.
const char *const distributed_tables[] = {"trace.requests", "trace.audit", "trace.batches",
                                          "trace.rejected"};
const char *const distribution_column = "host";

}  // namespace

std::optional<std::string> citus_version(Connection &db) {
    Result r = db.exec("SELECT extversion FROM pg_extension WHERE extname = 'citus'");
    if (r.rows() == 0) {
        return std::nullopt;
    }
    return std::string(r.get(0, 0));
}

void require_citus_coordinator(Connection &db) {
    if (!citus_version(db)) {
        Result r = db.exec("SELECT current_database(), "
                           "EXISTS (SELECT FROM pg_available_extensions WHERE name = 'citus')");
        bool available = r.get(0, 1) == "t";
        throw std::runtime_error(
            "--distribute needs a Citus coordinator, and database \"" +
            terminal_safe(r.get(0, 0)) + "\" has no citus extension (" +
            (available ? "CREATE EXTENSION citus there, and on the workers, first"
                       : "Citus is not installed on this PostgreSQL server") +
            ")");
    }
    Result r = db.exec("SELECT citus_is_coordinator()");
    if (r.get(0, 0) != "t") {
        throw std::runtime_error(
            "--distribute runs on the Citus coordinator, and this server is not it "
            "(a worker node, or the coordinator was never set with citus_set_coordinator_host)");
    }
}

void prepare_citus_transaction(Connection &db) {
    db.exec("SET LOCAL citus.multi_shard_modify_mode = 'sequential'");
}

DistributeResult distribute_tables(Connection &db) {
    DistributeResult out;
    db.exec("BEGIN");
    try {
        for (const char *table : distributed_tables) {
            Result r = db.exec_params(
                "SELECT partmethod, column_to_column_name(logicalrelid, partkey) "
                "FROM pg_dist_partition WHERE logicalrelid = $1::regclass",
                {std::string(table)});
            if (r.rows() == 0) {
                db.exec_params(
                    "SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)",
                    {std::string(table), std::string(distribution_column),
                     out.distributed.empty() && out.already.empty()
                         ? std::string("none")
                         : std::string(distributed_tables[0])});
                out.distributed.emplace_back(table);
                continue;
            }
            if (r.get(0, 0) != "h" || r.is_null(0, 1) || r.get(0, 1) != distribution_column) {
                throw std::runtime_error(
                    std::string(table) + " is distributed already, but not by hash of " +
                    distribution_column + " (method " + std::string(r.get(0, 0)) + ", column " +
                    (r.is_null(0, 1) ? std::string("none") : std::string(r.get(0, 1))) +
                    "); trace-ctl changes nothing");
            }
            out.already.emplace_back(table);
        }
        db.exec("COMMIT");
    } catch (...) {
        db.exec("ROLLBACK");
        throw;
    }
    return out;
}

}  // namespace trace_ctl
