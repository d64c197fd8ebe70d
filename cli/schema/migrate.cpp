// trace-ctl migrate: brings the trace schema up to the version this trace-ctl
// carries, one migration per transaction, under an advisory lock.

#include "schema/migrate.hpp"

#include "app/pg.hpp"
#include "schema/migrations.hpp"
#include "schema/schema_state.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace trace_ctl {

namespace {

// Any constant unique to this tool; two concurrent migrate runs serialise on it.
constexpr long long migrate_lock_key = 0x6e67782d74726163;  // "ngx-trac"

const char *const bootstrap_sql =
    "CREATE SCHEMA IF NOT EXISTS trace;"
    "CREATE TABLE IF NOT EXISTS trace.schema_migrations ("
    "  version    integer     PRIMARY KEY,"
    "  name       text        NOT NULL,"
    "  checksum   text        NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

std::string label(int version, const std::string &name) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04d", version);
    return std::string(buf) + "_" + name;
}

int print_status(Connection &db, const std::vector<Migration> &available) {
    std::vector<AppliedMigration> applied;
    if (schema_table_exists(db)) {
        applied = read_applied(db);
    }
    MigrationPlan plan = plan_migrations(available, applied);
    for (const auto &a : applied) {
        std::cout << "applied  " << label(a.version, a.name) << "  " << a.applied_at << '\n';
    }
    for (const auto &m : plan.pending) {
        std::cout << "pending  " << label(m.version, m.name) << '\n';
    }
    for (const auto &p : plan.problems) {
        std::cerr << "trace-ctl migrate: " << p << '\n';
    }
    std::cout << applied.size() << " applied, " << plan.pending.size() << " pending\n";
    return plan.problems.empty() ? exit_ok : exit_failure;
}

}  // namespace

int run_migrate(const Context &ctx, const MigrateOptions &opts) {
    std::vector<Migration> available = parse_migrations(embedded_sql_files());
    Connection db = Connection::open(ctx.conninfo());

    if (opts.status) {
        return print_status(db, available);
    }

    // "schema already exists, skipping" and the like are not news to anyone.
    db.exec("SET client_min_messages = warning");
    db.exec("SET lock_timeout = '" + std::to_string(opts.lock_timeout_seconds) + "s'");
    try {
        db.exec("SELECT pg_advisory_lock(" + std::to_string(migrate_lock_key) + ")");
    } catch (const PgError &e) {
        if (e.sqlstate() == "55P03") {
            throw PgError("another trace-ctl migrate has held the migration lock for " +
                          std::to_string(opts.lock_timeout_seconds) + " s; try again later");
        }
        throw;
    }
    db.exec("SET lock_timeout = 0");

    if (!opts.dry_run) {
        db.exec(bootstrap_sql);
    }
    std::vector<AppliedMigration> applied;
    if (schema_table_exists(db)) {
        applied = read_applied(db);
    }
    MigrationPlan plan = plan_migrations(available, applied);
    if (!plan.problems.empty()) {
        for (const auto &p : plan.problems) {
            std::cerr << "trace-ctl migrate: " << p << '\n';
        }
        return exit_failure;
    }

    int version = applied.empty() ? 0 : applied.back().version;
    if (plan.pending.empty()) {
        std::cout << "schema is up to date (version " << version << "); nothing to do\n";
        return exit_ok;
    }

    for (const Migration &m : plan.pending) {
        if (opts.dry_run) {
            std::cout << "would apply " << label(m.version, m.name) << '\n';
            continue;
        }
        auto started = std::chrono::steady_clock::now();
        db.exec("BEGIN");
        try {
            db.exec(m.sql);
            db.exec_params(
                "INSERT INTO trace.schema_migrations (version, name, checksum) "
                "VALUES ($1, $2, $3)",
                {std::to_string(m.version), m.name, m.checksum});
            db.exec("COMMIT");
        } catch (const PgError &e) {
            db.exec("ROLLBACK");
            throw PgError("migration " + m.file_name + " failed and was rolled back: " +
                          e.what(),
                          e.sqlstate());
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
        std::cout << "applied " << label(m.version, m.name) << " (" << ms << " ms)\n";
        version = m.version;
    }
    if (!opts.dry_run) {
        std::cout << "schema is at version " << version << '\n';
    }
    return exit_ok;
}

}  // namespace trace_ctl
