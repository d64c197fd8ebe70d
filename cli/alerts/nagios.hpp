// check-resources speaks the Nagios plugin convention: one status line,
// "RESOURCES <STATE> - <text> | <perfdata>", and exit status 0 OK,
// 1 WARNING (only a filesystem predicted to fill up), 2 CRITICAL, 3 UNKNOWN.

#ifndef TRACE_CTL_ALERTS_NAGIOS_HPP
#define TRACE_CTL_ALERTS_NAGIOS_HPP

#include "alerts/resources.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

enum NagiosStatus : int {
    nagios_ok = 0,
    nagios_warning = 1,
    nagios_critical = 2,
    nagios_unknown = 3,
};

const char *nagios_status_name(NagiosStatus status);

// CRITICAL when any resource is over its threshold (that is what someone must
// act on, even if another could not be measured), else WARNING when
// `predicted_full` (a filesystem will be full soon: a forecast, not yet a
// fact), else UNKNOWN when any could not be measured, else OK. The order is
// that of the monitoring plugins' max_state_alt.
NagiosStatus overall_status(const std::vector<Measurement> &measurements,
                            bool predicted_full = false);

// A percentage as printed: one decimal ("42.0"). Thresholds drop a ".0".
std::string format_percent(double percent);
std::string format_threshold(double threshold);

// A perfdata label: always single-quoted, a quote doubled, and '=', '|' and
// control characters (which would end the label or the line) replaced by '_'.
std::string perfdata_label(std::string_view label);

// One perfdata item: 'label'=value%;threshold;threshold;0;100 (the threshold
// as warning and as critical level; over it is CRITICAL, as the exit status).
std::string perfdata_item(const Measurement &m);

// The perfdata item of a filesystem's prediction: 'LABEL time to full'=SECONDSs;;;0
// (no levels: the warning also needs the filesystem to be over 60% used).
std::string time_to_full_perfdata(std::string_view label, double seconds);

// What the trend adds to the status line: `warnings` ("/var full in about
// 3 h") and `perfdata` (time_to_full_perfdata items).
struct StatusExtras {
    std::vector<std::string> warnings;
    std::vector<std::string> perfdata;
};

// The whole status line for `status`, without a newline. Resources over their
// threshold come first ("/var 97.0% > 85%"), then the trend's warnings, then
// those that could not be measured ("memory: why"), then the rest ("/ 42.0%").
// `note` (e.g. that mail failed) is appended to the text; the trend's perfdata
// follows that of the measurements.
std::string status_line(const std::vector<Measurement> &measurements, NagiosStatus status,
                        std::string_view note = {}, const StatusExtras &extras = {});

// The status line for a run that could not measure anything (bad
// configuration, state file trouble): RESOURCES UNKNOWN - message.
std::string unknown_line(std::string_view message);

}  // namespace trace_ctl

#endif
