// trace-ctl status: the database, the schema, the tables and the module, each
// looked at on its own, so that one being down does not hide the others.

#include "status/status.hpp"

#include "app/newest_id.hpp"
#include "app/output_format.hpp"
#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "app/usage_error.hpp"
#include "schema/citus.hpp"
#include "schema/migrations.hpp"
#include "schema/schema_state.hpp"
#include "status/http_get.hpp"
#include "status/status_report.hpp"

#include <iostream>
#include <limits>

namespace trace_ctl {

namespace {

struct TableInfo {
    const char *name;
    const char *time_column;
    bool has_id;
};

// Names from this list are the only identifiers put into SQL text here.
const TableInfo status_tables[] = {
    {"trace.requests", "ts", true},
    {"trace.audit", "ts", true},
    {"trace.rejected", "ts", true},
    {"trace.batches", "committed_at", false},
    {"trace.request_blocks", "last_ts", false},
};

std::optional<std::int64_t> optional_int(const Result &r, int col) {
    return r.is_null(0, col) ? std::nullopt : std::optional<std::int64_t>(r.get_int(0, col));
}

std::optional<double> optional_double(const Result &r, int col) {
    return r.is_null(0, col) ? std::nullopt
                             : std::optional<double>(std::stod(std::string(r.get(0, col))));
}

TableReport read_table(Connection &db, const TableInfo &info, bool estimate) {
    TableReport t;
    t.name = info.name;
    t.exists =
        db.exec_params("SELECT to_regclass($1) IS NOT NULL", {std::string(info.name)}).get(0, 0) ==
        "t";
    if (!t.exists) {
        return t;
    }
    const std::string table = info.name;
    if (estimate) {
        // reltuples is -1 until the table was first vacuumed or analyzed.
        Result r = db.exec_params("SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass",
                                  {table});
        t.rows_exact = false;
        if (r.get_int(0, 0) >= 0) {
            t.rows = r.get_int(0, 0);
        }
    } else {
        t.rows = db.exec("SELECT count(*) FROM " + table).get_int(0, 0);
    }
    const std::string col = info.time_column;
    Result span =
        db.exec("SELECT " + epoch_micros_sql("min(" + col + ")") + ", " +
                epoch_micros_sql("max(" + col + ")") + ", extract(epoch FROM now() - min(" + col +
                "))::float8"
                ", extract(epoch FROM now() - max(" +
                col + "))::float8 FROM " + table);
    t.oldest = optional_int(span, 0);
    t.newest = optional_int(span, 1);
    t.oldest_age_seconds = optional_double(span, 2);
    t.newest_age_seconds = optional_double(span, 3);
    if (info.has_id) {
        t.max_id = newest_id(db, table);
    }
    return t;
}

// How many rows of trace.requests no block covers, through
// requests_unsummarised_idx (a partial index of exactly those rows, by id):
// few once migrate has written blocks for the older ones, whatever the
// table's size. Nothing on a schema before 0006.
void read_summaries(Connection &db, StatusReport &report) {
    Result has = db.exec("SELECT to_regclass('trace.request_blocks_backfill') IS NOT NULL");
    if (has.get(0, 0) != "t") {
        return;
    }
    // Two statements, not one: Citus pushes no subquery of a SELECT list
    // down to the shards.
    Result mark = db.exec("SELECT max(through_id) FROM trace.request_blocks_backfill");
    report.summaries.through_id = optional_int(mark, 0);
    report.summaries.uncovered_rows =
        db.exec_params("SELECT count(*) FROM trace.requests WHERE NOT summarised AND id > $1::bigint",
                       {std::to_string(report.summaries.through_id.value_or(
                           std::numeric_limits<std::int64_t>::min()))})
            .get_int(0, 0);
    report.summaries.exists = true;
}

// The last 7 days' ended hours (UTC, as rollup makes them) against their
// fingerprints now: the block summaries over them, so a few thousand rows.
// Nothing on a schema before 0009; on Citus only that it keeps none.
void read_rollups(Connection &db, StatusReport &report) {
    Result has = db.exec("SELECT to_regclass('trace.rollup_periods') IS NOT NULL");
    if (has.get(0, 0) != "t") {
        return;
    }
    report.rollups.exists = true;
    if (requests_distributed(db)) {
        report.rollups.distributed = true;
        return;
    }
    Result r = db.exec(
        "WITH bounds AS (SELECT to_timestamp(floor(date_part('epoch', now()) / 3600) * 3600)"
        "                 AS hours_end),"
        " h AS (SELECT generate_series(hours_end - interval '7 days',"
        "                              hours_end - interval '1 hour', interval '1 hour') AS start"
        "       FROM bounds),"
        " f AS (SELECT x.* FROM bounds, trace.rollup_hour_fingerprints("
        "         hours_end - interval '7 days', hours_end) AS x) "
        "SELECT count(*) FILTER (WHERE p.start IS NOT NULL AND"
        "         (p.blocks, p.block_rows, p.block_tag, p.loose_rows) ="
        "         (coalesce(f.blocks, 0), coalesce(f.block_rows, 0), coalesce(f.block_tag, 0),"
        "          coalesce(f.loose_rows, 0))),"
        "       count(*) FILTER (WHERE f.start IS NOT NULL AND (p.start IS NULL OR"
        "         (p.blocks, p.block_rows, p.block_tag, p.loose_rows) <>"
        "         (f.blocks, f.block_rows, f.block_tag, f.loose_rows))),"
        "       (SELECT " + epoch_micros_sql("max(rolled_at)") + " FROM trace.rollup_periods),"
        "       (SELECT date_part('epoch', now() - max(rolled_at)) FROM trace.rollup_periods)"
        " FROM h LEFT JOIN f USING (start)"
        " LEFT JOIN trace.rollup_periods p ON p.seconds = 3600 AND p.start = h.start");
    report.rollups.hours_current = r.get_int(0, 0);
    report.rollups.hours_due = r.get_int(0, 1);
    if (!r.is_null(0, 2)) {
        report.rollups.last_run = r.get_int(0, 2);
        report.rollups.last_run_age_seconds = std::stod(std::string(r.get(0, 3)));
    }
}

void read_schema(Connection &db, StatusReport &report) {
    std::vector<AppliedMigration> applied;
    report.schema_exists = schema_table_exists(db);
    if (report.schema_exists) {
        applied = read_applied(db);
    }
    if (!applied.empty()) {
        report.schema_version = applied.back().version;
        report.schema_name = applied.back().name;
    }
    MigrationPlan plan = plan_migrations(parse_migrations(embedded_sql_files()), applied);
    for (const Migration &m : plan.pending) {
        report.pending.push_back(m.file_name.substr(0, m.file_name.size() - 4));  // no ".sql"
    }
    report.problems = plan.problems;
}

void read_database(const Context &ctx, const StatusOptions &opts, StatusReport &report) {
    std::optional<Connection> db;
    try {
        db = Connection::open(ctx.conninfo());
    } catch (const PgError &e) {
        report.database_error = e.what();
        return;
    }
    report.database_reachable = true;
    try {
        Result who = db->exec(
            "SELECT current_setting('server_version'), current_database(), "
            "current_user");
        report.server_version = who.get(0, 0);
        report.database = who.get(0, 1);
        report.user = who.get(0, 2);
        read_schema(*db, report);
        for (const TableInfo &info : status_tables) {
            report.tables.push_back(read_table(*db, info, opts.estimate));
        }
        read_summaries(*db, report);
        read_rollups(*db, report);
    } catch (const PgError &e) {
        report.database_error = e.primary();
        if (e.sqlstate() == "42501") {
            report.database_error += " (the role needs trace_reader)";
        }
    }
}

void read_module(const HttpUrl &url, const StatusOptions &opts, StatusReport &report) {
    try {
        HttpResponse response = http_get(
            url, std::chrono::milliseconds(static_cast<long>(opts.timeout_seconds * 1000)));
        if (response.status != 200) {
            throw HttpError("HTTP status " + std::to_string(response.status));
        }
        report.module = read_module_counters(response.body);
        report.module_reachable = true;
    } catch (const HttpError &e) {
        report.module_error = e.what();
    } catch (const ModuleStatusError &e) {
        report.module_error = e.what();
    }
}

}  // namespace

StatusReport read_status_report(const Context &ctx, const StatusOptions &opts) {
    StatusReport report;
    report.module_url = opts.status_url.empty() ? ctx.config.status_url : opts.status_url;
    std::optional<HttpUrl> url;
    if (!report.module_url.empty()) {
        url = parse_http_url(report.module_url);
    }
    read_database(ctx, opts, report);
    if (url) {
        read_module(*url, opts, report);
    }
    return report;
}

int run_status(const Context &ctx, const StatusOptions &opts) {
    OutputFormat format = parse_output_format(opts.format);
    if (format == OutputFormat::csv) {
        throw UsageError("--format: status is text or json");
    }
    StatusReport report = read_status_report(ctx, opts);
    if (format == OutputFormat::json) {
        std::cout << json_text(status_json(report)) << '\n';
    } else {
        std::cout << status_text(report);
    }
    return report.healthy() ? exit_ok : exit_failure;
}

}  // namespace trace_ctl
