// trace-ctl check-resources on the command line: its options and help, and
// the Nagios answer to whatever stops it before it could measure.

#ifndef TRACE_CTL_ALERTS_CHECK_RESOURCES_COMMAND_HPP
#define TRACE_CTL_ALERTS_CHECK_RESOURCES_COMMAND_HPP

#include "app/context.hpp"

#include <string>

namespace CLI {
class App;
}

namespace trace_ctl {

// Adds `check-resources` to `app`; when it runs, its Nagios status goes to
// `exit_code`. Returns the subcommand, so that main can tell when a command
// line CLI11 refused was meant for it (see check_resources_bad_command_line).
const CLI::App *add_check_resources_command(CLI::App &app, Context &ctx, int &exit_code);

// A command line CLI11 refused for check-resources, after CLI11 said why on
// stderr: the UNKNOWN status line on stdout, for the monitoring system.
// Returns nagios_unknown.
int check_resources_bad_command_line(const std::string &error);

}  // namespace trace_ctl

#endif
