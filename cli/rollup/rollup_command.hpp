// trace-ctl rollup on the command line: its options and help.

#ifndef TRACE_CTL_ROLLUP_ROLLUP_COMMAND_HPP
#define TRACE_CTL_ROLLUP_ROLLUP_COMMAND_HPP

#include "app/context.hpp"

namespace CLI {
class App;
}

namespace trace_ctl {

// Adds `rollup` to `app`; when it runs, its exit code goes to `exit_code`.
void add_rollup_command(CLI::App &app, Context &ctx, int &exit_code);

}  // namespace trace_ctl

#endif
