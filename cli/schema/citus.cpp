#include "schema/citus.hpp"

#include "app/table_output.hpp"

#include <stdexcept>

namespace trace_ctl {

namespace {

// How a table is laid out on the cluster.
enum class Layout {
    by_key,     // hash-distributed by the key column, colocated with trace.requests
    reference,  // one copy on every node
};

struct TableLayout {
    const char *table;
    Layout layout;
};

// requests first: the others are colocated with it. Every table the module
// writes is distributed by batch_key (sql/0008): a batch's rows, blocks,
// ledger row and refused rows share one value, so one shard and one node take
// its transaction, while a host's batches spread over all shards. A schema
// distributed before 0008 (by host, as trace-ctl did then) keeps its key, and
// tables added later follow it. The backfill's mark is one row that a listing
// on any node compares ids with: a reference table, which joins with every
// shard where it is.
const TableLayout trace_tables[] = {
    {"trace.requests", Layout::by_key},       {"trace.audit", Layout::by_key},
    {"trace.batches", Layout::by_key},        {"trace.rejected", Layout::by_key},
    {"trace.request_blocks", Layout::by_key}, {"trace.request_blocks_backfill", Layout::reference},
};
const char *const batch_key_column = "batch_key";
const char *const host_column = "host";

// The column the tables are distributed by: trace.requests' when it is
// distributed already, else batch_key where the schema has it (0008), else host.
std::string key_column(Connection &db) {
    Result r = db.exec(
        "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition "
        "WHERE logicalrelid = 'trace.requests'::regclass");
    if (r.rows() != 0 && !r.is_null(0, 0)) {
        return std::string(r.get(0, 0));
    }
    Result has = db.exec("SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = "
                         "'trace.requests'::regclass AND attname = 'batch_key' AND NOT attisdropped)");
    return has.get(0, 0) == "t" ? batch_key_column : host_column;
}

// Citus distributes a table only if its unique keys hold the distribution
// column: a primary key without it gets it as its last column, under the same
// name. batch_key is a function of the batch id, so (host, batch_id,
// batch_key) is unique exactly when (host, batch_id) is.
void key_holds_column(Connection &db, const std::string &table, const std::string &column) {
    Result pk = db.exec_params(
        "SELECT c.conname, string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord), "
        "       bool_or(a.attname = $2) "
        "FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "WHERE c.conrelid = $1::regclass AND c.contype = 'p' GROUP BY c.conname",
        {table, column});
    if (pk.rows() == 0 || pk.get(0, 2) == "t") {
        return;
    }
    std::string name(pk.get(0, 0));
    db.exec("ALTER TABLE " + table + " DROP CONSTRAINT " + name + ", ADD CONSTRAINT " + name +
            " PRIMARY KEY (" + std::string(pk.get(0, 1)) + ", " + column + ")");
}

// Throws unless the table's row of pg_dist_partition (partmethod, column,
// repmodel) is the layout trace-ctl gives it.
void check_layout(const TableLayout &t, const std::string &key, const Result &r) {
    std::string method(r.get(0, 0));
    std::string column = r.is_null(0, 1) ? std::string("none") : std::string(r.get(0, 1));
    bool same = t.layout == Layout::by_key ? method == "h" && column == key
                                           : method == "n" && r.get(0, 2) == "t";
    if (same) {
        return;
    }
    std::string wanted = t.layout == Layout::by_key ? "by hash of " + key
                                                    : std::string("as a reference table");
    throw std::runtime_error(std::string(t.table) + " is distributed already, but not " + wanted +
                             " (method " + method + ", column " + column +
                             "); trace-ctl changes nothing");
}

// A distributed table takes no trigger with transition tables, and so keeps
// no rollups (sql/0009): their triggers go, and what was rolled up before is
// forgotten; the console then reads the rows.
void forget_rollups(Connection &db) {
    if (db.exec("SELECT to_regclass('trace.rollup_periods') IS NULL").get(0, 0) == "t") {
        return;
    }
    for (const char *trigger : {"rollup_forget_deleted", "rollup_forget_updated",
                                "rollup_forget_truncated"}) {
        db.exec(std::string("DROP TRIGGER IF EXISTS ") + trigger + " ON trace.requests");
    }
    db.exec("DELETE FROM trace.rollup_periods");
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

bool requests_distributed(Connection &db) {
    const char *fact = "trace.requests is distributed";
    if (db.facts().count(fact) == 0) {
        db.facts()[fact] = citus_version(db) && is_distributed(db, "trace.requests");
    }
    return db.facts()[fact];
}

DistributeResult distribute_tables(Connection &db) {
    DistributeResult out;
    db.exec("BEGIN");
    try {
        out.column = key_column(db);
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
                check_layout(t, out.column, r);
                out.already.push_back(table);
                continue;
            }
            if (t.layout == Layout::reference) {
                db.exec_params("SELECT create_reference_table($1::regclass)", {table});
                out.referenced.push_back(table);
                continue;
            }
            if (table == trace_tables[0].table) {
                forget_rollups(db);
            }
            key_holds_column(db, table, out.column);
            bool first = out.distributed.empty() && out.already.empty();
            db.exec_params("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)",
                           {table, out.column,
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
