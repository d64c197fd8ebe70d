// trace-ctl audit on the command line: its options and help.

#ifndef TRACE_CTL_RECORDS_AUDIT_COMMAND_HPP
#define TRACE_CTL_RECORDS_AUDIT_COMMAND_HPP

#include "app/context.hpp"

namespace CLI {
class App;
}

namespace trace_ctl {

// Adds `audit` to `app`: the options of requests, and its own. When it runs,
// its exit code goes to `exit_code`.
void add_audit_command(CLI::App &app, Context &ctx, int &exit_code);

}  // namespace trace_ctl

#endif
