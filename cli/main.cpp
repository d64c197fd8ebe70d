// trace-ctl: the command line of nginx-trace. This file only assembles it: the
// global options, then one call per command. Each command registers its own
// options and help in its *_command.cpp, next to its code, and returns an exit
// code.

#include "alerts/check_resources_command.hpp"
#include "app/command_help.hpp"
#include "app/config.hpp"
#include "app/context.hpp"
#include "console/serve_command.hpp"
#include "records/audit_command.hpp"
#include "records/requests_command.hpp"
#include "rollup/rollup_command.hpp"
#include "schema/migrate_command.hpp"
#include "schema/prune_command.hpp"
#include "status/status_command.hpp"
#include "trace_version.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <string>

namespace {

using trace_ctl::Context;

// --config, --db, --verbose and --version, and the footer of every help. It
// comes before the commands: a subcommand copies its parent's footer (and
// fallthrough) when it is added.
void add_global_options(CLI::App &app, Context &ctx) {
    app.set_version_flag("--version", std::string("trace-ctl ") + TRACE_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(std::string(trace_ctl::connection_help) + "\n\n" + trace_ctl::exit_codes_help);

    app.add_option_function<std::string>(
           "-c,--config",
           [&ctx](const std::string &path) {
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
}

}  // namespace

int main(int argc, char **argv) {
    std::signal(SIGPIPE, SIG_IGN);

    Context ctx;
    CLI::App app{"trace-ctl: manage the nginx-trace schema and read what nginx recorded",
                 "trace-ctl"};
    add_global_options(app, ctx);

    int exit_code = trace_ctl::exit_ok;
    trace_ctl::add_migrate_command(app, ctx, exit_code);
    trace_ctl::add_prune_command(app, ctx, exit_code);
    trace_ctl::add_rollup_command(app, ctx, exit_code);
    const CLI::App *check_resources =
        trace_ctl::add_check_resources_command(app, ctx, exit_code);
    trace_ctl::add_requests_command(app, ctx, exit_code);
    trace_ctl::add_audit_command(app, ctx, exit_code);
    trace_ctl::add_status_command(app, ctx, exit_code);
    trace_ctl::add_serve_command(app, ctx, exit_code);

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
        if (check_resources->parsed()) {
            return trace_ctl::check_resources_bad_command_line(e.what());
        }
        return trace_ctl::exit_usage;
    }
    return exit_code;
}
