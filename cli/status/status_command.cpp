#include "status/status_command.hpp"

#include "app/command_runner.hpp"
#include "status/status.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace trace_ctl {

void add_status_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<StatusOptions>();
    CLI::App *cmd = app.add_subcommand(
        "status",
        "Is the database reachable, is the schema current (pending migrations), how many\n"
        "rows each table holds, how old its oldest and newest row are (an old newest row\n"
        "means nothing is being recorded), how many request rows no block summary covers\n"
        "(trace-ctl migrate summarises them), and, where configured, the module's own\n"
        "counters. Exit status 0 when all is well, 1 when anything needs attention.");
    cmd->add_option("--status-url", opts->status_url,
                    "the module's status location, http://HOST[:PORT]/PATH; default "
                    "status_url of the configuration")
        ->type_name("URL");
    cmd->add_option("--timeout", opts->timeout_seconds, "seconds to wait for the status URL")
        ->check(CLI::Range(0.1, 60.0))
        ->capture_default_str();
    cmd->add_flag("--estimate", opts->estimate,
                  "row counts from PostgreSQL's statistics instead of count(*), which reads "
                  "whole tables");
    cmd->add_option("--format", opts->format, "text for people, json for programs")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code =
            run_command(ctx, "status", [&](const Context &c) { return run_status(c, *opts); });
    });
}

}  // namespace trace_ctl
