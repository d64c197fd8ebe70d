// What a check-resources mail says: one mail per run, listing every resource
// that crossed its threshold (or is still over it after the quiet period) and
// every one that is back under it, with the host, the measured value and the
// threshold. One mail rather than one per resource: a filling disk usually
// crosses space and inodes, and a machine in trouble crosses several at once;
// one message with all of them is read, a burst of them is not.

#ifndef TRACE_CTL_ALERTS_ALERT_MAIL_HPP
#define TRACE_CTL_ALERTS_ALERT_MAIL_HPP

#include "alerts/alert_state.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

struct AlertMailText {
    std::string subject;
    std::string body;  // \n line ends; build_message turns them into CRLF
};

// The mail for the decisions that need one (warn, remind, resolve); the other
// decisions appear only in the list of all measurements.
AlertMailText compose_alert_mail(std::string_view host, const std::vector<AlertDecision> &decisions,
                                 std::int64_t now, std::int64_t quiet_minutes);

}  // namespace trace_ctl

#endif
