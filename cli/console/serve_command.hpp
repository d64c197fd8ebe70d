// trace-ctl serve on the command line: its options and help.

#ifndef TRACE_CTL_CONSOLE_SERVE_COMMAND_HPP
#define TRACE_CTL_CONSOLE_SERVE_COMMAND_HPP

#include "app/context.hpp"

namespace CLI {
class App;
}

namespace trace_ctl {

// trace-ctl serve: registers its options; the callback sets exit_code.
void add_serve_command(CLI::App &app, Context &ctx, int &exit_code);

}  // namespace trace_ctl

#endif
