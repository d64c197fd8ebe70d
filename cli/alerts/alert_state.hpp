// The quiet periods of check-resources: which resources were reported over
// their threshold and when, kept as JSON between cron runs, and the decisions
// that follow from a new set of measurements. No I/O here (see state_file.hpp).

#ifndef TRACE_CTL_ALERTS_ALERT_STATE_HPP
#define TRACE_CTL_ALERTS_ALERT_STATE_HPP

#include "alerts/resources.hpp"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace trace_ctl {

// A resource someone was warned about. The record outlives the "resolved"
// mail until the quiet period of the last warning has passed, so that a value
// that keeps crossing its threshold back and forth is not a mail every run.
struct AlertRecord {
    std::int64_t since = 0;       // unix time of the first warning of this episode
    std::int64_t alerted_at = 0;  // unix time of the last warning: the quiet period starts here
    double percent = 0;           // what was reported then
    double threshold = 0;
    bool open = true;             // the last mail said "over"; a "resolved" mail is owed
};

struct AlertState {
    std::map<std::string, AlertRecord> alerts;  // by Measurement::key
};

class StateFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// {"version": 1, "alerts": {"space:/var": {"since": ..., "alerted_at": ..., ...}}}
AlertState parse_alert_state(const std::string &json);  // throws StateFormatError
std::string serialize_alert_state(const AlertState &state);

enum class AlertAction {
    none,        // under its threshold and nobody was told otherwise
    warn,        // newly over its threshold (or again, after the quiet period): mail
    remind,      // still over, and the quiet period has passed: mail again
    stay_quiet,  // over, but within the quiet period of the last warning: no mail
    resolve,     // back under its threshold after a warning: mail "resolved"
    forget,      // resolved long enough ago: drop the record, no mail
    keep,        // could not be measured: leave what we know alone
};

struct AlertDecision {
    Measurement measurement;
    AlertAction action = AlertAction::none;
    AlertRecord previous;  // for remind and resolve: what was reported before
};

// One decision per measurement, in the same order. A clock that went
// backwards counts as the quiet period having passed: better a mail too many
// than a silent full disk.
std::vector<AlertDecision> decide_alerts(const std::vector<Measurement> &measurements,
                                         const AlertState &state, std::int64_t now,
                                         std::int64_t quiet_seconds);

// True when any decision asks for a mail (warn, remind, resolve).
bool needs_mail(const std::vector<AlertDecision> &decisions);

// The state after the mail for `decisions` went out at `now` (or after a run
// that needed no mail): warned and reminded resources start a quiet period,
// resolved ones are closed, forgotten ones dropped.
AlertState state_after_mail(const AlertState &state, const std::vector<AlertDecision> &decisions,
                            std::int64_t now);

}  // namespace trace_ctl

#endif
