#include "schema/prune_command.hpp"

#include "app/command_help.hpp"
#include "app/command_runner.hpp"
#include "schema/prune.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace trace_ctl {

namespace {

const char *const prune_help =
    "Keep trace.requests at the newest max_log_count rows and, when max_age_days is\n"
    "set, delete those older (trace.audit likewise with max_audit_count and\n"
    "max_audit_age_days, when set), delete the block summaries that cover no row\n"
    "left, and forget ledger entries and rejected rows older than\n"
    "batch_retention_days, in small batches that are safe while nginx inserts.\n"
    "Needs a role that is a member of trace_maintainer.";

// DAYS or DAYSd: 30, 30d.
std::int64_t parse_days(const std::string &text, const char *option) {
    std::string digits = !text.empty() && text.back() == 'd' ? text.substr(0, text.size() - 1) : text;
    bool ok = !digits.empty() && digits.size() <= 5 &&
              digits.find_first_not_of("0123456789") == std::string::npos;
    std::int64_t days = ok ? std::stoll(digits) : 0;
    if (days < 1 || days > 36500) {
        throw CLI::ValidationError(option, "\"" + text + "\" is not a number of days from 1 to 36500 "
                                           "(30, or 30d)");
    }
    return days;
}

const char *const prune_footer =
    "Prints, per table, what it deleted (or, with --dry-run, would delete). The\n"
    "newest rows of trace.requests are its latest by time: the cutoff is the time of\n"
    "the N-th newest (rows of that time are all kept); trace.audit's is the id of\n"
    "its N-th newest. It deletes below the cutoff in ranges of --batch-size rows,\n"
    "one transaction each, never walking a range twice.\n\n"
    "Exit status: 0 done (also when another prune was already running: it then does\n"
    "nothing); 1 the database failed or refused; 2 bad command line or\n"
    "configuration.";

}  // namespace

void add_prune_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<PruneOptions>();
    CLI::App *cmd = app.add_subcommand("prune", prune_help);
    cmd->footer(std::string(prune_footer) + "\n\n" + connection_help);
    cmd->add_option_function<std::int64_t>(
           "--max-count", [opts](std::int64_t n) { opts->max_count = n; },
           "rows of trace.requests to keep (default: max_log_count, 10000)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
    cmd->add_option_function<std::int64_t>(
           "--max-audit-count", [opts](std::int64_t n) { opts->max_audit_count = n; },
           "rows of trace.audit to keep (default: max_audit_count; unset keeps all)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
    cmd->add_option_function<std::string>(
           "--max-age",
           [opts](const std::string &s) { opts->max_age_days = parse_days(s, "--max-age"); },
           "delete trace.requests rows older than this many days (30 or 30d; default: "
           "max_age_days; unset: no age limit)")
        ->type_name("DAYS");
    cmd->add_option_function<std::string>(
           "--max-audit-age",
           [opts](const std::string &s) {
               opts->max_audit_age_days = parse_days(s, "--max-audit-age");
           },
           "delete trace.audit rows older than this many days (default: "
           "max_audit_age_days; unset: no age limit)")
        ->type_name("DAYS");
    cmd->add_option_function<std::int64_t>(
           "--retention-days", [opts](std::int64_t n) { opts->retention_days = n; },
           "days of trace.batches and trace.rejected to keep (default: "
           "batch_retention_days, 30)")
        ->type_name("DAYS")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{36500}));
    cmd->add_option("--batch-size", opts->batch_size,
                    "at most this many rows deleted per transaction (smaller: shorter "
                    "transactions)")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000000}))
        ->capture_default_str();
    cmd->add_flag("-n,--dry-run", opts->dry_run, "say what would be deleted; change nothing");
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code =
            run_command(ctx, "prune", [&](const Context &c) { return run_prune(c, *opts); });
    });
}

}  // namespace trace_ctl
