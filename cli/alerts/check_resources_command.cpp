#include "alerts/check_resources_command.hpp"

#include "alerts/check_resources.hpp"
#include "alerts/nagios.hpp"
#include "alerts/textfile.hpp"
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
    "Measure memory, swap, disk space and inodes against their thresholds, print\n"
    "one Nagios status line, and mail warning_emails when a resource goes over its\n"
    "threshold or a filesystem will be full within predict_hours (again after\n"
    "quiet_time_minutes) and once when that is over. Needs no database.";

const char *const check_resources_footer =
    "Memory used is 1 - MemAvailable/MemTotal, swap (when there is any) 1 -\n"
    "SwapFree/SwapTotal; disk space and inodes are measured as df does, for\n"
    "disk_paths or else every real mounted filesystem. Output:\n"
    "  RESOURCES CRITICAL - /var 97.0% > 85%, memory 41.2%, / 42.0%, ... |\n"
    "  'memory'=41.2%;85;85;0;100 '/'=42.0%;85;85;0;100 '/ inodes'=3.1%;85;85;0;100 ...\n"
    "  RESOURCES WARNING - /var full in about 3 h, memory 41.2%, /var 72.0%, ... |\n"
    "  ... '/var time to full'=12000s;;;0\n"
    "The prediction is a straight line through the samples of the last 6 hours\n"
    "(one a run, at most one per 4 minutes; it needs 4 over an hour), kept in the\n"
    "state file with the quiet periods: runs with warning_emails or --textfile\n"
    "keep it, --no-mail does not.\n\n"
    "Exit status (Nagios plugin convention): 0 OK; 1 WARNING, nothing is over its\n"
    "threshold but a filesystem will be full within predict_hours; 2 CRITICAL, a\n"
    "resource is over its threshold; 3 UNKNOWN, nothing is over or predicted full\n"
    "but something could not be measured, or a mail that was due could not be\n"
    "sent, the state or the textfile could not be written, or the configuration,\n"
    "command line or state file is unusable. A mail that could not be sent is also\n"
    "reported on stderr and starts no quiet period: the next run tries again.";

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
                  "is neither read nor written, so there is no prediction");
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
    add_threshold("--swap-threshold", opts->swap_threshold, "swap",
                  "swap_threshold, else the memory threshold");
    cmd->add_option_function<std::int64_t>(
           "--predict-hours", [opts](std::int64_t h) { opts->predict_hours = h; },
           "warn when a filesystem over 60% used will be full within this many hours at "
           "its current rate; 0: no trend (default: predict_hours, 24)")
        ->type_name("HOURS")
        ->check(CLI::Range(std::int64_t{0}, max_predict_hours));
    cmd->add_option("--textfile", opts->textfile_dir,
                    std::string("also write the measurements for node_exporter's textfile "
                                "collector, as DIR/") +
                        textfile_name)
        ->type_name("DIR");
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
