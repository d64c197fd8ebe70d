#include "schema/citus.hpp"

#include "app/table_output.hpp"

#include <stdexcept>

namespace trace_ctl {

namespace {

// How a table is laid out on the cluster.
enum class Layout {
    by_host,    // hash-distributed by host, colocated with trace.requests
    reference,  // one copy on every node
};

struct TableLayout {
    const char *table;
    Layout layout;
};

// requests first: the others are colocated with it. request_blocks by host,
// as its rows: a batch's blocks go to the shard of its rows, in the module's
// one transaction on one node. The backfill's mark is one row that a listing
// on any node compares ids with: a reference table, which joins with every
// shard where it is.
const TableLayout trace_tables[] = {
    {"trace.requests", Layout::by_host},      {"trace.audit", Layout::by_host},
    {"trace.batches", Layout::by_host},       {"trace.rejected", Layout::by_host},
    {"trace.request_blocks", Layout::by_host}, {"trace.request_blocks_backfill", Layout::reference},
};
const char *const distribution_column = "host";

// Throws unless the table's row of pg_dist_partition (partmethod, column,
// repmodel) is the layout trace-ctl gives it.
void check_layout(const TableLayout &t, const Result &r) {
    std::string method(r.get(0, 0));
    std::string column = r.is_null(0, 1) ? std::string("none") : std::string(r.get(0, 1));
    bool same = t.layout == Layout::by_host ? method == "h" && column == distribution_column
                                            : method == "n" && r.get(0, 2) == "t";
    if (same) {
        return;
    }
    std::string wanted = t.layout == Layout::by_host
                             ? std::string("by hash of ") + distribution_column
                             : std::string("as a reference table");
    throw std::runtime_error(std::string(t.table) + " is distributed already, but not " + wanted +
                             " (method " + method + ", column " + column +
                             "); trace-ctl changes nothing");
}

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

bool is_distributed(Connection &db, const std::string &table) {
    return db.exec_params("SELECT EXISTS (SELECT FROM pg_dist_partition "
                          "WHERE logicalrelid = to_regclass($1))",
                          {table})
               .get(0, 0) == "t";
}

DistributeResult distribute_tables(Connection &db) {
    DistributeResult out;
    db.exec("BEGIN");
    try {
        for (const TableLayout &t : trace_tables) {
            const std::string table = t.table;
            if (db.exec_params("SELECT to_regclass($1) IS NULL", {table}).get(0, 0) == "t") {
                continue;  // a table of a migration not applied yet (migrate --to)
            }
            Result r = db.exec_params(
                "SELECT partmethod, column_to_column_name(logicalrelid, partkey), repmodel "
                "FROM pg_dist_partition WHERE logicalrelid = $1::regclass",
                {table});
            if (r.rows() != 0) {
                check_layout(t, r);
                out.already.push_back(table);
                continue;
            }
            if (t.layout == Layout::reference) {
                db.exec_params("SELECT create_reference_table($1::regclass)", {table});
                out.referenced.push_back(table);
                continue;
            }
            bool first = out.distributed.empty() && out.already.empty();
            db.exec_params("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)",
                           {table, std::string(distribution_column),
                            first ? std::string("none") : std::string(trace_tables[0].table)});
            out.distributed.push_back(table);
        }
        db.exec("COMMIT");
    } catch (...) {
        db.exec("ROLLBACK");
        throw;
    }
    return out;
}

}  // namespace trace_ctl
