// A bad option value (a filter, a time, a format): one line, exit status 2.

#ifndef TRACE_CTL_APP_USAGE_ERROR_HPP
#define TRACE_CTL_APP_USAGE_ERROR_HPP

#include "app/config.hpp"

namespace trace_ctl {

// Derived from ConfigError because both mean "what you asked for is wrong, not
// the system": run_command (app/command_runner.hpp) turns ConfigError into exit
// status 2, so the commands need no catch of their own.
class UsageError : public ConfigError {
public:
    using ConfigError::ConfigError;
};

}  // namespace trace_ctl

#endif
