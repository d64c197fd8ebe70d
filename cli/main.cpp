// trace-ctl: the command line of nginx-trace. This file only wires CLI11 to the
// commands; each command lives in its own cmd_*.cpp and returns an exit code.

#include "cmd_migrate.hpp"
#include "cmd_prune.hpp"
#include "config.hpp"
#include "context.hpp"
#include "migrations.hpp"
#include "pg.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>

#ifndef TRACE_VERSION
#define TRACE_VERSION "dev"
#endif

namespace {

using trace_ctl::Context;

const char *const exit_codes_help =
    "Exit status: 0 success; 1 the work failed (database unreachable, migration\n"
    "refused, ...); 2 bad command line or configuration. check-resources follows\n"
    "the Nagios plugin convention instead (see its --help).";

const char *const connection_help =
    "The database is --db, else `database` in the configuration file, else libpq's\n"
    "PG* environment variables (PGHOST, PGDATABASE, PGUSER, PGPASSFILE, ...).\n"
    "Passwords belong in a passfile (~/.pgpass or passfile=...), never on the\n"
    "command line, where ps would show them.";

// Runs one command with the loaded configuration, turning every error into one
// line on stderr and an exit code.
int run_command(Context &ctx, const char *name, const std::function<int(const Context &)> &fn) {
    try {
        ctx.config = trace_ctl::load_config(ctx.options.config_path, ctx.options.config_explicit);
        return fn(ctx);
    } catch (const trace_ctl::ConfigError &e) {
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return trace_ctl::exit_usage;
    } catch (const std::exception &e) {
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return trace_ctl::exit_failure;
    }
}

const char *const prune_help =
    "Keep trace.requests at the newest max_log_count rows (and trace.audit at\n"
    "max_audit_count, when set), and forget exactly-once ledger entries\n"
    "(trace.batches) and rejected rows (trace.rejected) older than\n"
    "batch_retention_days. Finds the cutoff with an index scan and deletes in\n"
    "small transactions that advance a lower bound: fast on millions of rows,\n"
    "no long locks, safe while nginx keeps inserting. Needs a role that is a\n"
    "member of trace_maintainer. Prints what it deleted per table.\n"
    "Exit status: 0 done (or another prune was running), 1 failed (database),\n"
    "2 bad command line or configuration.";

}  // namespace

int main(int argc, char **argv) {
    std::signal(SIGPIPE, SIG_IGN);

    Context ctx;
    CLI::App app{"trace-ctl: manage the nginx-trace schema and read what nginx recorded",
                 "trace-ctl"};
    app.set_version_flag("--version", std::string("trace-ctl ") + TRACE_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(std::string(connection_help) + "\n\n" + exit_codes_help);

    app.add_option_function<std::string>(
           "-c,--config",
           [&](const std::string &path) {
               ctx.options.config_path = path;
               ctx.options.config_explicit = true;
           },
           std::string("configuration file (TOML); default ") + trace_ctl::default_config_path +
               ", used only when it exists")
        ->type_name("FILE");
    app.add_option("--db", ctx.options.db,
                   "libpq connection string or URI, e.g. \"host=/run/postgresql dbname=trace\"; "
                   "overrides `database` of the configuration file")
        ->type_name("CONNINFO");
    app.add_flag("-v,--verbose", ctx.options.verbose, "say more about what is done");

    int rc = trace_ctl::exit_ok;

    trace_ctl::MigrateOptions migrate;
    CLI::App *cmd_migrate = app.add_subcommand(
        "migrate",
        "Create or upgrade the trace schema (tables, indexes, roles) to this version.\n"
        "Each pending migration runs in its own transaction and is recorded in\n"
        "trace.schema_migrations; running it again is a no-op. Needs a role that may\n"
        "create schemas and roles (e.g. the postgres superuser).");
    cmd_migrate->add_flag("--status", migrate.status,
                          "list applied and pending migrations; change nothing");
    cmd_migrate->add_flag("-n,--dry-run", migrate.dry_run,
                          "say which migrations would be applied; change nothing");
    cmd_migrate->add_option("--lock-timeout", migrate.lock_timeout_seconds,
                            "seconds to wait for another migrate run to finish")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str();
    cmd_migrate->callback([&] {
        rc = run_command(ctx, "migrate",
                         [&](const Context &c) { return trace_ctl::run_migrate(c, migrate); });
    });

    trace_ctl::PruneOptions prune;
    CLI::App *cmd_prune = app.add_subcommand("prune", prune_help);
    cmd_prune->add_option_function<std::int64_t>(
                 "--max-count", [&](std::int64_t n) { prune.max_count = n; },
                 "rows of trace.requests to keep (default: max_log_count, 10000)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
    cmd_prune->add_option_function<std::int64_t>(
                 "--max-audit-count", [&](std::int64_t n) { prune.max_audit_count = n; },
                 "rows of trace.audit to keep (default: max_audit_count; unset keeps all)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
    cmd_prune->add_option_function<std::int64_t>(
                 "--retention-days", [&](std::int64_t n) { prune.retention_days = n; },
                 "days of trace.batches and trace.rejected to keep (default: "
                 "batch_retention_days, 30)")
        ->type_name("DAYS")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{36500}));
    cmd_prune->add_option("--batch-size", prune.batch_size,
                          "at most this many rows deleted per transaction (smaller: shorter "
                          "transactions)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000000}))
        ->capture_default_str();
    cmd_prune->add_flag("-n,--dry-run", prune.dry_run,
                        "say what would be deleted; change nothing");
    cmd_prune->callback([&] {
        rc = run_command(ctx, "prune",
                         [&](const Context &c) { return trace_ctl::run_prune(c, prune); });
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        app.exit(e);
        return trace_ctl::exit_usage;
    }
    return rc;
}
