#include "console/serve_command.hpp"

#include "app/command_runner.hpp"
#include "console/serve.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace trace_ctl {

void add_serve_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<ServeOptions>();
    CLI::App *cmd = app.add_subcommand(
        "serve",
        "Run the read-only web console: an overview with charts, the requests and audit\n"
        "events with every filter of `requests` and `audit`, users, sessions and status.\n"
        "Needs the trace_reader role. SIGINT or SIGTERM stops it.");
    cmd->add_option("--listen", opts->listen,
                    "ADDR:PORT to listen on; an address other than loopback needs --htpasswd "
                    "or --behind-proxy")
        ->type_name("ADDR:PORT")
        ->capture_default_str();
    cmd->add_option("--htpasswd", opts->htpasswd,
                    "ask for a user and password of this file (nginx's auth_basic_user_file "
                    "format; yescrypt, bcrypt, sha512-crypt hashes as crypt(3) knows them)")
        ->type_name("FILE");
    cmd->add_flag("--behind-proxy", opts->behind_proxy,
                  "a proxy in front (nginx with auth_basic) authenticates: allow a --listen "
                  "address other than loopback without --htpasswd");
    cmd->add_option("--statement-timeout", opts->statement_timeout_seconds,
                    "seconds a page's query may take before it is cancelled")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str()
        ->type_name("SECONDS");
    cmd->add_option("--threads", opts->threads, "requests served at once")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code =
            run_command(ctx, "serve", [&](const Context &c) { return run_serve(c, *opts); });
    });
}

}  // namespace trace_ctl
