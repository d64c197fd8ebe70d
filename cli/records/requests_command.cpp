#include "records/requests_command.hpp"

#include "app/command_runner.hpp"
#include "records/requests.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <memory>

namespace trace_ctl {

namespace {

const char *const when_help =
    "a duration back from now (90s, 15m, 2h, 7d, 1w, 1h30m) or a time (2024-05-01, "
    "\"2024-05-01 13:30\", 2024-05-01T13:30:00Z); local time unless it names a zone";

}  // namespace

void add_filter_options(CLI::App &cmd, ListOptions &o, const std::string &what) {
    cmd.add_option("--user", o.user, "only " + what + " of this user (exact match)")
        ->type_name("NAME");
    cmd.add_option("--session", o.session,
                   "only this session: its stored hash, all 32 hex digits or at least the "
                   "first 8 (listings show 12)")
        ->type_name("HASH");
    cmd.add_option("--session-token", o.session_token,
                   "only the session with this token (e.g. the session cookie's value), hashed "
                   "with the module's key as the module does; \"-\" reads it from stdin, which "
                   "keeps it out of ps")
        ->type_name("TOKEN");
    cmd.add_option("--session-key-file", o.session_key_file,
                   "the module's trace_session_key file, for --session-token; default "
                   "session_key_file of the configuration")
        ->type_name("FILE");
    cmd.add_option("--status", o.status,
                   "HTTP status codes or classes, comma-separated: 500, 5xx, 4xx,5xx, 404,5xx")
        ->type_name("LIST");
    cmd.add_option("--method", o.method, "HTTP methods, comma-separated: GET or get,post")
        ->type_name("LIST");
    cmd.add_option("--path", o.path,
                   "the path matches this regular expression (PostgreSQL's ~: POSIX, "
                   "case-sensitive, (?i) at the start ignores case), e.g. '^/api/'")
        ->type_name("REGEX");
    cmd.add_option("--host", o.host, "only " + what + " recorded by this nginx host (trace host)")
        ->type_name("NAME");
    cmd.add_option("--client", o.client,
                   "the client's address (192.0.2.7, 2001:db8::1) or a network it lies in "
                   "(10.0.0.0/8)")
        ->type_name("ADDR");
    cmd.add_option("--since", o.since, std::string("from this time on: ") + when_help)
        ->type_name("WHEN");
    cmd.add_option("--until", o.until, "before this time; the same forms as --since")
        ->type_name("WHEN");
}

void add_output_options(CLI::App &cmd, ListOptions &o) {
    cmd.add_option("-n,--limit", o.limit, "rows per page")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd.add_option("--page", o.page,
                   "which page, 1 being the newest; see --max-id for pages that hold still")
        ->check(CLI::Range(1, 10000000))
        ->capture_default_str();
    cmd.add_option("--max-id", o.max_id,
                   "only rows with id <= ID, so that pages do not shift while rows arrive; "
                   "default: the newest id at the start, which the text footer names for the "
                   "next page")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()))
        ->type_name("ID");
    cmd.add_option("--max-time", o.max_time,
                   "only rows with ts <= TIME: the other half of the anchor the footer names, "
                   "which lets the index skip rows that came later")
        ->type_name("TIME");
    cmd.add_flag("-f,--follow", o.follow,
                 "after the newest --limit rows (oldest first), keep printing new ones as they "
                 "arrive, as tail -f does; JSON becomes one object per line; Ctrl-C stops");
    cmd.add_option("--interval", o.interval_seconds, "seconds between two looks with --follow")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str()
        ->type_name("SECONDS");
    cmd.add_option("--format", o.format,
                   "text: aligned columns for people; json: an array of objects with every "
                   "column (one object per line with --follow); csv: RFC 4180, every column")
        ->check(CLI::IsMember({"text", "json", "csv"}))
        ->capture_default_str();
    cmd.add_option("--width", o.width,
                   "width of text lines, 0 for no limit; default $COLUMNS, else the terminal's "
                   "width, else 100")
        ->check(CLI::Range(0, 100000))
        ->type_name("COLUMNS");
    cmd.add_flag("--explain", o.explain,
                 "print PostgreSQL's plan and timings of the page's query (EXPLAIN ANALYZE, "
                 "JSON) instead of the rows");
}

void add_requests_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<ListOptions>();
    CLI::App *cmd = app.add_subcommand(
        "requests",
        "List the HTTP requests nginx recorded, newest first, a page at a time; filters\n"
        "combine (AND). Text shows the main columns; json and csv carry every column.\n"
        "Needs SELECT on the trace tables (the trace_reader role).");
    add_filter_options(*cmd, *opts, "requests");
    cmd->add_option("--referer", opts->referer,
                    "the Referer header matches this regular expression (as --path does), "
                    "e.g. '^https://search\\.example/'")
        ->type_name("REGEX");
    cmd->add_option("--user-agent", opts->user_agent,
                    "the User-Agent as stored (escaped where it had bytes that are not text) "
                    "matches this regular expression (as --path does), e.g. '^curl/'")
        ->type_name("REGEX");
    cmd->add_option("--upstream-status", opts->upstream_status,
                    "any upstream that answered (or was tried) has one of these statuses: codes "
                    "or classes, comma-separated: 502, 502,504, 5xx")
        ->type_name("LIST");
    cmd->add_option("--field", opts->fields,
                    "the trace_field NAME has exactly VALUE (as stored: cut values end in "
                    "\u2026); repeat for several, all must hold")
        ->type_name("NAME=VALUE")
        ->allow_extra_args(false);
    add_output_options(*cmd, *opts);
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code = run_command(ctx, "requests",
                                [&](const Context &c) { return run_requests(c, *opts); });
    });
}

}  // namespace trace_ctl
