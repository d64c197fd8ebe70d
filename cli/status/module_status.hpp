// The module's status location answers with its per-worker counters as JSON:
//   {"workers":[{"pid":123,"queued":0,"sent":10,...,"last_error":"..."}]}
// trace-ctl does not depend on which counters there are: it shows every key of
// every worker, and the sum over the workers of each numeric one.

#ifndef TRACE_CTL_STATUS_MODULE_STATUS_HPP
#define TRACE_CTL_STATUS_MODULE_STATUS_HPP

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace trace_ctl {

struct ModuleCounters {
    nlohmann::ordered_json workers = nlohmann::ordered_json::array();  // as the module said
    nlohmann::ordered_json totals = nlohmann::ordered_json::object();  // numeric keys summed
};

class ModuleStatusError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws ModuleStatusError when the body is not JSON with a "workers" array of
// objects. "pid" is an identity, not a counter: it is not summed.
ModuleCounters read_module_counters(const std::string &body);

// "pid=123 started=\"2024-05-01 14:03:07\" queued=0 last_error_time=never
// last_error=\"db down\"": one worker (or the totals) on a line, times (started,
// *_time) in the local zone, values made safe for a terminal.
std::string counters_line(const nlohmann::ordered_json &object);

}  // namespace trace_ctl

#endif
