#include "rollup/rollup_command.hpp"

#include "app/command_help.hpp"
#include "app/command_runner.hpp"
#include "rollup/rollup.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace trace_ctl {

namespace {

const char *const rollup_help =
    "Summarise trace.requests per hour and per day for the web console's overview,\n"
    "which then reads a few rows for each whole hour or day of a long window\n"
    "instead of every request. Exact: a summary is read only while its period's\n"
    "rows are as they were when it was made (a late row, a deleted one, makes the\n"
    "console read the rows again until the next run). Run it from cron, every few\n"
    "minutes to every hour, as a role that is a member of trace_maintainer; the\n"
    "module never writes the summaries.";

const char *const rollup_footer =
    "Rolls up each ended hour and day (UTC) that has no current summary, oldest\n"
    "first, one day per transaction, and drops the summaries of periods whose rows\n"
    "changed or were pruned. The first run reads the whole table once; later runs\n"
    "read the hours that ended since. Prints how many it rolled up and how many\n"
    "are current.\n\n"
    "Not on Citus: a distributed trace.requests keeps no summaries, and the console\n"
    "reads its rows.\n\n"
    "Exit status: 0 done; 1 the database failed or refused (Citus, a schema before\n"
    "0009); 2 bad command line or configuration.";

}  // namespace

void add_rollup_command(CLI::App &app, Context &ctx, int &exit_code) {
    CLI::App *cmd = app.add_subcommand("rollup", rollup_help);
    cmd->footer(std::string(rollup_footer) + "\n\n" + connection_help);
    cmd->callback([&ctx, &exit_code] {
        exit_code = run_command(ctx, "rollup", [](const Context &c) { return run_rollup(c); });
    });
}

}  // namespace trace_ctl
