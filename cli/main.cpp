// trace-ctl: the command line of nginx-trace. This file only wires CLI11 to the
// commands; each command lives in its own cmd_*.cpp and returns an exit code.

#include "cmd_check_resources.hpp"
#include "cmd_migrate.hpp"
#include "cmd_prune.hpp"
#include "config.hpp"
#include "context.hpp"
#include "migrations.hpp"
#include "nagios.hpp"
#include "pg.hpp"
#include "trace_version.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>


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

// check-resources answers to Nagios: whatever stops it before it could
// measure (a bad configuration, the state file) is UNKNOWN, said on stdout for
// the monitoring system and on stderr for cron.
int run_nagios_command(Context &ctx, const char *name,
                       const std::function<int(const Context &)> &fn) {
    try {
        ctx.config = trace_ctl::load_config(ctx.options.config_path, ctx.options.config_explicit);
        return fn(ctx);
    } catch (const std::exception &e) {
        std::cout << trace_ctl::unknown_line(e.what()) << '\n';
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return trace_ctl::nagios_unknown;
    }
}

const char *const prune_help =
    "Keep trace.requests at the newest max_log_count rows (trace.audit at\n"
    "max_audit_count, when set) and forget ledger entries and rejected rows older\n"
    "than batch_retention_days, in small batches that are safe while nginx inserts.\n"
    "Needs a role that is a member of trace_maintainer.";

const char *const prune_footer =
    "Prints, per table, what it deleted (or, with --dry-run, would delete). Finds\n"
    "the cutoff with a backward scan of the primary key and deletes below it in id\n"
    "ranges of --batch-size, one transaction each, never walking a range twice.\n\n"
    "Exit status: 0 done (also when another prune was already running: it then does\n"
    "nothing); 1 the database failed or refused; 2 bad command line or\n"
    "configuration.";

const char *const check_resources_help =
    "Measure memory, disk space and inodes against their thresholds, print one\n"
    "Nagios status line, and mail warning_emails when a resource goes over its\n"
    "threshold (again after quiet_time_minutes) and once when it is back under.\n"
    "Needs no database.";

const char *const check_resources_footer =
    "Memory used is 1 - MemAvailable/MemTotal; disk space and inodes are measured\n"
    "as df does, for disk_paths or else every real mounted filesystem. Output:\n"
    "  RESOURCES CRITICAL - /var 97.0% > 85%, memory 41.2%, / 42.0%, ... |\n"
    "  'memory'=41.2%;85;85;0;100 '/'=42.0%;85;85;0;100 '/ inodes'=3.1%;85;85;0;100 ...\n"
    "Quiet periods live in the state file.\n\n"
    "Exit status (Nagios plugin convention): 0 OK; 2 CRITICAL, a resource is over\n"
    "its threshold; 3 UNKNOWN, nothing is over but something could not be measured\n"
    "or a mail that was due could not be sent, or the configuration, command line\n"
    "or state file is unusable. A mail that could not be sent is also reported on\n"
    "stderr and starts no quiet period: the next run tries again. 1 WARNING is not\n"
    "used.";

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
    cmd_prune->footer(std::string(prune_footer) + "\n\n" + connection_help);
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

    trace_ctl::CheckResourcesOptions check;
    CLI::App *cmd_check = app.add_subcommand("check-resources", check_resources_help);
    cmd_check->footer(check_resources_footer);
    cmd_check->add_flag("-n,--dry-run", check.dry_run,
                        "measure and print, and say which mail would be sent; send nothing, "
                        "change no state");
    cmd_check->add_flag("--no-mail", check.no_mail,
                        "only measure and print (a pure monitoring plugin); the state file "
                        "is neither read nor written");
    cmd_check->add_option("--state", check.state_file,
                          std::string("state file of the quiet periods (default: state_file, ") +
                              trace_ctl::default_state_file + ")")
        ->type_name("FILE");
    cmd_check->add_option("--host", check.host,
                          "host name in mails (default: host, else this machine's name)")
        ->type_name("NAME");
    cmd_check->add_option("--path", check.paths,
                          "measure this filesystem (repeatable; default: disk_paths, else every "
                          "real mounted filesystem)")
        ->type_name("PATH");
    auto add_threshold = [&](const char *name, std::optional<double> &target,
                             const std::string &what, const std::string &fallback) {
        cmd_check->add_option_function<double>(
                     name, [&target](double p) { target = p; },
                     "percent of " + what + " used above which it is critical (default: " +
                         fallback + ")")
            ->type_name("PERCENT")
            ->check(CLI::Range(0.0, 100.0));
    };
    add_threshold("--memory-threshold", check.memory_threshold, "memory", "memory_threshold, 85");
    add_threshold("--disk-threshold", check.disk_threshold, "disk space", "disk_threshold, 85");
    add_threshold("--inode-threshold", check.inode_threshold, "inodes",
                  "inode_threshold, else the disk threshold");
    cmd_check->callback([&] {
        rc = run_nagios_command(ctx, "check-resources", [&](const Context &c) {
            return trace_ctl::run_check_resources(c, check);
        });
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
        if (cmd_check->parsed()) {
            std::cout << trace_ctl::unknown_line("bad command line: " + std::string(e.what()))
                      << '\n';
            return trace_ctl::nagios_unknown;
        }
        return trace_ctl::exit_usage;
    }
    return rc;
}
