// trace-ctl migrate: brings the trace schema up to the version this trace-ctl
// carries, one migration per transaction, under an advisory lock; with
// --distribute, then distributes the tables on a Citus coordinator.
//
// A migration is sent statement by statement inside its transaction, not as
// one string: Citus refuses DDL on a distributed table within a string of
// several statements (citusdata/citus#6608), and plain PostgreSQL runs them
// the same either way. The checksum stays the file's.

#include "schema/migrate.hpp"

#include "app/pg.hpp"
#include "schema/block_backfill.hpp"
#include "schema/citus.hpp"
#include "schema/migrations.hpp"
#include "schema/schema_state.hpp"
#include "schema/sql_statements.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace trace_ctl {

namespace {

// Any constant unique to this tool; two concurrent migrate runs serialise on it.
constexpr long long migrate_lock_key = 0x6e67782d74726163;  // "ngx-trac"

// The migration that creates the ledger itself (0000); it is written to run
// again harmlessly, and runs before the ledger is read.
constexpr int ledger_version = 0;

const Migration &ledger_migration(const std::vector<Migration> &available) {
    for (const Migration &m : available) {
        if (m.version == ledger_version) {
            return m;
        }
    }
    throw MigrationError("this trace-ctl carries no migration 0000 (the ledger)");
}

std::string label(int version, const std::string &name) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04d", version);
    return std::string(buf) + "_" + name;
}

// Runs every statement of `m` in the open transaction; on Citus, one shard at
// a time (prepare_citus_transaction says why).
void apply_statements(Connection &db, const Migration &m, bool citus) {
    if (citus) {
        prepare_citus_transaction(db);
    }
    for (const std::string &statement : split_sql_statements(m.sql)) {
        db.exec(statement);
    }
}

// `asked`: --distribute was given, and says so when it had nothing to do.
void report_distribution(const DistributeResult &r, bool asked) {
    for (const auto &table : r.distributed) {
        std::cout << "distributed " << table << " by " << r.column << '\n';
    }
    for (const auto &table : r.referenced) {
        std::cout << "made " << table << " a reference table\n";
    }
    if (asked && r.distributed.empty() && r.referenced.empty()) {
        std::cout << "tables already distributed by " << r.column << "; nothing to do\n";
    }
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

    if (opts.distribute) {
        require_citus_coordinator(db);
    }
    bool citus = citus_version(db).has_value();
    // A schema distributed before keeps its layout: the tables a migration
    // adds are distributed as --distribute would, so that they never stay
    // local to the coordinator (where every node's writes would meet).
    bool distributed = citus && is_distributed(db, "trace.requests");
    if (!opts.dry_run) {
        for (const std::string &statement : split_sql_statements(ledger_migration(available).sql)) {
            db.exec(statement);
        }
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
    if (opts.to_version >= 0) {
        if (opts.to_version < version) {
            std::cerr << "trace-ctl migrate: the schema is at version " << version
                      << " already, newer than --to " << opts.to_version
                      << "; migrations are never undone\n";
            return exit_failure;
        }
        plan.pending.erase(std::remove_if(plan.pending.begin(), plan.pending.end(),
                                          [&](const Migration &m) {
                                              return m.version > opts.to_version;
                                          }),
                           plan.pending.end());
    }
    if (plan.pending.empty()) {
        std::cout << "schema is up to date (version " << version << "); nothing to do\n";
    }

    for (const Migration &m : plan.pending) {
        if (opts.dry_run) {
            std::cout << "would apply " << label(m.version, m.name) << '\n';
            continue;
        }
        auto started = std::chrono::steady_clock::now();
        db.exec("BEGIN");
        try {
            apply_statements(db, m, citus);
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
    if (!opts.dry_run && !plan.pending.empty()) {
        std::cout << "schema is at version " << version << '\n';
    }
    if (!opts.dry_run) {
        report_backfill(backfill_request_blocks(db), std::cout);
    }
    if (opts.distribute || (distributed && !plan.pending.empty())) {
        if (opts.dry_run) {
            std::cout << "would distribute the trace tables (by batch_key from 0008 on, else by "
                         "host)\n";
        } else {
            report_distribution(distribute_tables(db), opts.distribute);
        }
    }
    return exit_ok;
}

}  // namespace trace_ctl
