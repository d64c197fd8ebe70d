// trace-ctl requests on the command line: its options and help, and the
// filter and page options that audit shares with it.

#ifndef TRACE_CTL_RECORDS_REQUESTS_COMMAND_HPP
#define TRACE_CTL_RECORDS_REQUESTS_COMMAND_HPP

#include "app/context.hpp"
#include "records/list_options.hpp"

#include <string>

namespace CLI {
class App;
}

namespace trace_ctl {

// Adds `requests` to `app`; when it runs, its exit code goes to `exit_code`.
void add_requests_command(CLI::App &app, Context &ctx, int &exit_code);

// The filters of a listing (--user, --status, --since, ...); `what` is
// "requests" or "events".
void add_filter_options(CLI::App &cmd, ListOptions &opts, const std::string &what);

// How a listing is paged and printed (--limit, --page, --follow, --format, ...).
void add_output_options(CLI::App &cmd, ListOptions &opts);

}  // namespace trace_ctl

#endif
