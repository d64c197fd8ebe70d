// What every trace-ctl command starts from: the loaded configuration and the
// options common to all commands.

#ifndef TRACE_CTL_APP_CONTEXT_HPP
#define TRACE_CTL_APP_CONTEXT_HPP

#include "app/config.hpp"

#include <iosfwd>
#include <string>

namespace trace_ctl {

// Exit codes of every command but check-resources (which speaks Nagios).
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,     // the work could not be done (database unreachable, ...)
    exit_usage = 2,       // bad command line or configuration
};

struct GlobalOptions {
    std::string config_path = default_config_path;
    bool config_explicit = false;
    std::string db;                  // --db: overrides the config file's database
    bool verbose = false;
};

struct Context {
    GlobalOptions options;
    Config config;

    // --db, else the config file's `database`, else "" (libpq's PG* environment).
    std::string conninfo() const;
};

}  // namespace trace_ctl

#endif
