// The quiet periods of check-resources: which resources were reported over
// their threshold (or predicted to fill up) and when, and the samples of disk
// space that the trend is computed from, kept as JSON between cron runs; and
// the decisions that follow from a new set of measurements. No I/O here (see
// state_file.hpp).

#ifndef TRACE_CTL_ALERTS_ALERT_STATE_HPP
#define TRACE_CTL_ALERTS_ALERT_STATE_HPP

#include "alerts/resources.hpp"
#include "alerts/trend.hpp"

#include <cstdint>
#include <map>
#include <optional>
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
    std::optional<double> seconds_to_full = std::nullopt;  // a trend warning: what it predicted
};

struct AlertState {
    std::map<std::string, AlertRecord> alerts;    // by Measurement::key
    std::map<std::string, SampleSeries> samples;  // by the filesystem's path
};

class StateFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Version 2: {"version": 2, "alerts": {"space:/var": {"since": ..., "alerted_at": ...,
// ...}}, "samples": {"/var": {"size": BYTES, "points": [[TIME, USED, AVAILABLE], ...]}}}.
// Version 1 (before the trend) is the same without "samples", and is read too.
AlertState parse_alert_state(const std::string &json);  // throws StateFormatError
// Always version 2.
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
    std::optional<Forecast> forecast = std::nullopt;  // a trend decision: what it is about
};

// One decision per measurement, in the same order. A clock that went
// backwards counts as the quiet period having passed: better a mail too many
// than a silent full disk.
std::vector<AlertDecision> decide_alerts(const std::vector<Measurement> &measurements,
                                         const AlertState &state, std::int64_t now,
                                         std::int64_t quiet_seconds);

// The same for trend checks: a filesystem predicted to fill up is "over"; one
// not measured, or without enough samples for a forecast, keeps its record.
std::vector<AlertDecision> decide_trend_alerts(const std::vector<TrendCheck> &checks,
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
