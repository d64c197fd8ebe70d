#ifndef TRACE_CTL_ALERTS_CHECK_RESOURCES_HPP
#define TRACE_CTL_ALERTS_CHECK_RESOURCES_HPP

#include "app/context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

struct CheckResourcesOptions {
    bool dry_run = false;          // measure and print; no mail, no state change
    bool no_mail = false;          // a pure monitoring plugin: no mail, state untouched
    std::string state_file;        // overrides state_file
    std::string host;              // overrides host
    std::vector<std::string> paths;  // overrides disk_paths
    std::optional<double> memory_threshold;
    std::optional<double> disk_threshold;
    std::optional<double> inode_threshold;
    std::optional<double> swap_threshold;
    std::optional<std::int64_t> predict_hours;  // overrides predict_hours; 0: no trend
    std::string textfile_dir;      // also write the measurements there for node_exporter
};

// Returns a Nagios status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
int run_check_resources(const Context &ctx, const CheckResourcesOptions &opts);

// The machine's name for mails: the fully qualified name when the resolver
// knows one, else what gethostname says.
std::string detect_host_name();

}  // namespace trace_ctl

#endif
