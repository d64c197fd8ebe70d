#include "alerts/check_resources_command.hpp"

#include "alerts/check_resources.hpp"
#include "alerts/nagios.hpp"
#include "app/config.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

namespace trace_ctl {

namespace {

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

// check-resources answers to Nagios: whatever stops it before it could
// measure (a bad configuration, the state file) is UNKNOWN, said on stdout for
// the monitoring system and on stderr for cron.
int run_nagios_command(Context &ctx, const char *name,
                       const std::function<int(const Context &)> &command) {
    try {
        ctx.config = load_config(ctx.options.config_path, ctx.options.config_explicit);
        return command(ctx);
    } catch (const std::exception &e) {
        std::cout << unknown_line(e.what()) << '\n';
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return nagios_unknown;
    }
}

}  // namespace

const CLI::App *add_check_resources_command(CLI::App &app, Context &ctx, int &exit_code) {
    auto opts = std::make_shared<CheckResourcesOptions>();
    CLI::App *cmd = app.add_subcommand("check-resources", check_resources_help);
    cmd->footer(check_resources_footer);
    cmd->add_flag("-n,--dry-run", opts->dry_run,
                  "measure and print, and say which mail would be sent; send nothing, "
                  "change no state");
    cmd->add_flag("--no-mail", opts->no_mail,
                  "only measure and print (a pure monitoring plugin); the state file "
                  "is neither read nor written");
    cmd->add_option("--state", opts->state_file,
                    std::string("state file of the quiet periods (default: state_file, ") +
                        default_state_file + ")")
        ->type_name("FILE");
    cmd->add_option("--host", opts->host,
                    "host name in mails (default: host, else this machine's name)")
        ->type_name("NAME");
    cmd->add_option("--path", opts->paths,
                    "measure this filesystem (repeatable; default: disk_paths, else every "
                    "real mounted filesystem)")
        ->type_name("PATH");
    auto add_threshold = [cmd](const char *name, std::optional<double> &target,
                               const std::string &what, const std::string &fallback) {
        cmd->add_option_function<double>(
               name, [&target](double p) { target = p; },
               "percent of " + what + " used above which it is critical (default: " +
                   fallback + ")")
            ->type_name("PERCENT")
            ->check(CLI::Range(0.0, 100.0));
    };
    add_threshold("--memory-threshold", opts->memory_threshold, "memory", "memory_threshold, 85");
    add_threshold("--disk-threshold", opts->disk_threshold, "disk space", "disk_threshold, 85");
    add_threshold("--inode-threshold", opts->inode_threshold, "inodes",
                  "inode_threshold, else the disk threshold");
    cmd->callback([&ctx, &exit_code, opts] {
        exit_code = run_nagios_command(ctx, "check-resources", [&](const Context &c) {
            return run_check_resources(c, *opts);
        });
    });
    return cmd;
}

int check_resources_bad_command_line(const std::string &error) {
    std::cout << unknown_line("bad command line: " + error) << '\n';
    return nagios_unknown;
}

}  // namespace trace_ctl
