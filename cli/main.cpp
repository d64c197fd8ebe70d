// trace-ctl: the command line of nginx-trace. This file only wires CLI11 to the
// commands; each command lives in its own cmd_*.cpp and returns an exit code.

#include "cmd_audit.hpp"
#include "cmd_migrate.hpp"
#include "cmd_requests.hpp"
#include "cmd_status.hpp"
#include "config.hpp"
#include "context.hpp"
#include "migrations.hpp"
#include "pg.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <functional>
#include <limits>
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
        return trace_ctl::exit_usage;
    }
    return rc;
}
