// trace-ctl: the command line of nginx-trace. This file only wires CLI11 to the
// commands; each command lives in its own cmd_*.cpp and returns an exit code.

#include "alerts/check_resources.hpp"
#include "alerts/nagios.hpp"
#include "app/config.hpp"
#include "app/context.hpp"
#include "app/pg.hpp"
#include "records/audit.hpp"
#include "records/requests.hpp"
#include "schema/migrate.hpp"
#include "schema/migrations.hpp"
#include "schema/prune.hpp"
#include "status/status.hpp"
#include "trace_version.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <functional>
#include <limits>
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

// --- the reading commands: requests, audit, status ----------------------------

using trace_ctl::ListOptions;

struct ReadingOptions {
    ListOptions requests;
    trace_ctl::AuditOptions audit;
    trace_ctl::StatusOptions status;
};

const char *const when_help =
    "a duration back from now (90s, 15m, 2h, 7d, 1w, 1h30m) or a time (2024-05-01, "
    "\"2024-05-01 13:30\", 2024-05-01T13:30:00Z); local time unless it names a zone";

// The filters `requests` and `audit` share; `what` is "requests" or "events".
void add_filter_options(CLI::App *cmd, ListOptions &o, const std::string &what) {
    cmd->add_option("--user", o.user, "only " + what + " of this user (exact match)")
        ->type_name("NAME");
    cmd->add_option("--session", o.session,
                    "only this session: its stored hash, all 32 hex digits or at least the "
                    "first 8 (listings show 12)")
        ->type_name("HASH");
    cmd->add_option("--session-token", o.session_token,
                    "only the session with this token (e.g. the session cookie's value), hashed "
                    "with the module's key as the module does; \"-\" reads it from stdin, which "
                    "keeps it out of ps")
        ->type_name("TOKEN");
    cmd->add_option("--session-key-file", o.session_key_file,
                    "the module's trace_session_key file, for --session-token; default "
                    "session_key_file of the configuration")
        ->type_name("FILE");
    cmd->add_option("--status", o.status,
                    "HTTP status codes or classes, comma-separated: 500, 5xx, 4xx,5xx, 404,5xx")
        ->type_name("LIST");
    cmd->add_option("--method", o.method, "HTTP methods, comma-separated: GET or get,post")
        ->type_name("LIST");
    cmd->add_option("--path", o.path,
                    "the path matches this regular expression (PostgreSQL's ~: POSIX, "
                    "case-sensitive, (?i) at the start ignores case), e.g. '^/api/'")
        ->type_name("REGEX");
    cmd->add_option("--host", o.host, "only " + what + " recorded by this nginx host (trace host)")
        ->type_name("NAME");
    cmd->add_option("--client", o.client,
                    "the client's address (192.0.2.7, 2001:db8::1) or a network it lies in "
                    "(10.0.0.0/8)")
        ->type_name("ADDR");
    cmd->add_option("--since", o.since, std::string("from this time on: ") + when_help)
        ->type_name("WHEN");
    cmd->add_option("--until", o.until, "before this time; the same forms as --since")
        ->type_name("WHEN");
}

void add_output_options(CLI::App *cmd, ListOptions &o) {
    cmd->add_option("-n,--limit", o.limit, "rows per page")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--page", o.page,
                    "which page, 1 being the newest; see --max-id for pages that hold still")
        ->check(CLI::Range(1, 10000000))
        ->capture_default_str();
    cmd->add_option("--max-id", o.max_id,
                    "only rows with id <= ID, so that pages do not shift while rows arrive; "
                    "default: the newest id at the start, which the text footer names for the "
                    "next page")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()))
        ->type_name("ID");
    cmd->add_option("--max-time", o.max_time,
                    "only rows with ts <= TIME: the other half of the anchor the footer names, "
                    "which lets the index skip rows that came later")
        ->type_name("TIME");
    cmd->add_flag("-f,--follow", o.follow,
                  "after the newest --limit rows (oldest first), keep printing new ones as they "
                  "arrive, as tail -f does; JSON becomes one object per line; Ctrl-C stops");
    cmd->add_option("--interval", o.interval_seconds, "seconds between two looks with --follow")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str()
        ->type_name("SECONDS");
    cmd->add_option("--format", o.format,
                    "text: aligned columns for people; json: an array of objects with every "
                    "column (one object per line with --follow); csv: RFC 4180, every column")
        ->check(CLI::IsMember({"text", "json", "csv"}))
        ->capture_default_str();
    cmd->add_option("--width", o.width,
                    "width of text lines, 0 for no limit; default $COLUMNS, else the terminal's "
                    "width, else 100")
        ->check(CLI::Range(0, 100000))
        ->type_name("COLUMNS");
    cmd->add_flag("--explain", o.explain,
                  "print PostgreSQL's plan and timings of the page's query (EXPLAIN ANALYZE, "
                  "JSON) instead of the rows");
}

void add_reading_commands(CLI::App &app, Context &ctx, ReadingOptions &opts, int &rc) {
    CLI::App *requests = app.add_subcommand(
        "requests",
        "List the HTTP requests nginx recorded, newest first, a page at a time; filters\n"
        "combine (AND). Text shows the main columns; json and csv carry every column.\n"
        "Needs SELECT on the trace tables (the trace_reader role).");
    add_filter_options(requests, opts.requests, "requests");
    add_output_options(requests, opts.requests);
    requests->callback([&] {
        rc = run_command(ctx, "requests", [&](const Context &c) {
            return trace_ctl::run_requests(c, opts.requests);
        });
    });

    CLI::App *audit = app.add_subcommand(
        "audit",
        "List logins, logouts and failed logins, newest first, or --summary per user.\n"
        "Filters combine (AND). Needs the trace_reader role.");
    add_filter_options(audit, opts.audit.list, "events");
    audit->add_option("--action", opts.audit.action,
                      "login, logout or login_failed; several comma-separated")
        ->type_name("LIST");
    audit->add_flag("--failed-only", opts.audit.failed_only, "only failed logins");
    audit->add_flag("--summary", opts.audit.summary,
                    "one line per user: last login, last logout, failed logins and whether the "
                    "user is probably still signed in (a login that no later logout of its "
                    "session closed), over --since/--until, default the last 7 days");
    add_output_options(audit, opts.audit.list);
    audit->callback([&] {
        rc = run_command(ctx, "audit",
                         [&](const Context &c) { return trace_ctl::run_audit(c, opts.audit); });
    });

    CLI::App *status = app.add_subcommand(
        "status",
        "Is the database reachable, is the schema current (pending migrations), how many\n"
        "rows each table holds, how old its oldest and newest row are (an old newest row\n"
        "means nothing is being recorded), and, where configured, the module's own\n"
        "counters. Exit status 0 when all is well, 1 when anything needs attention.");
    status->add_option("--status-url", opts.status.status_url,
                       "the module's status location, http://HOST[:PORT]/PATH; default "
                       "status_url of the configuration")
        ->type_name("URL");
    status->add_option("--timeout", opts.status.timeout_seconds,
                       "seconds to wait for the status URL")
        ->check(CLI::Range(0.1, 60.0))
        ->capture_default_str();
    status->add_flag("--estimate", opts.status.estimate,
                     "row counts from PostgreSQL's statistics instead of count(*), which reads "
                     "whole tables");
    status->add_option("--format", opts.status.format, "text for people, json for programs")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    status->callback([&] {
        rc = run_command(ctx, "status",
                         [&](const Context &c) { return trace_ctl::run_status(c, opts.status); });
    });
}

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

    ReadingOptions reading;
    add_reading_commands(app, ctx, reading, rc);

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
