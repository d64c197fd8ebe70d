// How every command but check-resources runs once its command line is parsed.

#ifndef TRACE_CTL_APP_COMMAND_RUNNER_HPP
#define TRACE_CTL_APP_COMMAND_RUNNER_HPP

#include "app/context.hpp"

#include <functional>

namespace trace_ctl {

// Loads the configuration into `ctx`, then runs `command`, turning every error
// into one line on stderr ("trace-ctl NAME: why") and an exit code: exit_usage
// for the configuration or an option value (ConfigError, UsageError),
// exit_failure for anything else.
int run_command(Context &ctx, const char *name,
                const std::function<int(const Context &)> &command);

}  // namespace trace_ctl

#endif
