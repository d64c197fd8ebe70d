#include "schema/migrate_command.hpp"

#include "app/command_runner.hpp"
#include "schema/migrate.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace trace_ctl {

void add_migrate_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<MigrateOptions>();
    CLI::App *cmd = app.add_subcommand(
        "migrate",
        "Create or upgrade the trace schema (tables, indexes, roles) to this version.\n"
        "Each pending migration runs in its own transaction and is recorded in\n"
        "trace.schema_migrations; running it again is a no-op. Needs a role that may\n"
        "create schemas and roles (e.g. the postgres superuser).");
    cmd->add_flag("--status", opts->status, "list applied and pending migrations; change nothing");
    cmd->add_flag("-n,--dry-run", opts->dry_run,
                  "say which migrations would be applied; change nothing");
    cmd->add_option("--to", opts->to_version,
                    "apply the migrations up to this version only (e.g. 1 for 0001)")
        ->check(CLI::Range(0, 999999999));
    cmd->add_flag("--distribute", opts->distribute,
                  "on a Citus coordinator: then distribute the trace tables by batch_key (a\n"
                  "value of each batch, sql/0008; host for a schema distributed before it),\n"
                  "colocated, and make the backfill mark a reference table, unless they are\n"
                  "already; on plain PostgreSQL an error (exit 1). Once trace.requests is\n"
                  "distributed, every migrate lays out the tables its migrations add");
    cmd->add_option("--lock-timeout", opts->lock_timeout_seconds,
                    "seconds to wait for another migrate run to finish")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str();
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code = run_command(ctx, "migrate",
                                [&](const Context &c) { return run_migrate(c, *opts); });
    });
}

}  // namespace trace_ctl
