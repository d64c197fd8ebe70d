#include "records/audit_command.hpp"

#include "app/command_runner.hpp"
#include "records/audit.hpp"
#include "records/requests_command.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace trace_ctl {

void add_audit_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<AuditOptions>();
    CLI::App *cmd = app.add_subcommand(
        "audit",
        "List logins, logouts and failed logins, newest first, or --summary per user.\n"
        "Filters combine (AND). Needs the trace_reader role.");
    add_filter_options(*cmd, opts->list, "events");
    cmd->add_option("--action", opts->action,
                    "login, logout or login_failed; several comma-separated")
        ->type_name("LIST");
    cmd->add_flag("--failed-only", opts->failed_only, "only failed logins");
    cmd->add_flag("--summary", opts->summary,
                  "one line per user: last login, last logout, failed logins and whether the "
                  "user is probably still signed in (a login that no later logout of its "
                  "session closed), over --since/--until, default the last 7 days");
    add_output_options(*cmd, opts->list);
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code =
            run_command(ctx, "audit", [&](const Context &c) { return run_audit(c, *opts); });
    });
}

}  // namespace trace_ctl
