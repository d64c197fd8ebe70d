#include "alerts/alert_state.hpp"

#include <nlohmann/json.hpp>

namespace trace_ctl {

namespace {

// 1: alerts only; 2: alerts and the samples of the trend. Both are read.
constexpr int state_version = 2;
constexpr int oldest_state_version = 1;

bool mails(AlertAction action) {
    return action == AlertAction::warn || action == AlertAction::remind ||
           action == AlertAction::resolve;
}

SampleSeries parse_series(const nlohmann::json &item) {
    SampleSeries series;
    series.size = item.at("size").get<std::uint64_t>();
    const nlohmann::json &points = item.at("points");
    if (!points.is_array()) {
        throw StateFormatError("\"points\" is not an array");
    }
    for (const nlohmann::json &p : points) {
        if (!p.is_array() || p.size() != 3) {
            throw StateFormatError("a sample is not [time, used, available]");
        }
        series.samples.push_back(SpaceSample{p.at(0).get<std::int64_t>(),
                                             p.at(1).get<std::uint64_t>(),
                                             p.at(2).get<std::uint64_t>()});
    }
    return series;
}

AlertAction decide(bool measured, bool firing, const AlertRecord *previous, std::int64_t now,
                   std::int64_t quiet_seconds) {
    bool quiet = previous && now >= previous->alerted_at &&
                 now < previous->alerted_at + quiet_seconds;
    if (!measured) {
        return AlertAction::keep;
    }
    if (firing) {
        if (quiet) {
            return AlertAction::stay_quiet;
        }
        return previous && previous->open ? AlertAction::remind : AlertAction::warn;
    }
    if (previous && previous->open) {
        return AlertAction::resolve;
    }
    if (previous && !quiet) {
        return AlertAction::forget;
    }
    return AlertAction::none;
}

AlertDecision decision_for(const Measurement &m, bool measured, bool firing,
                           const AlertState &state, std::int64_t now,
                           std::int64_t quiet_seconds) {
    AlertDecision d{m, AlertAction::none, {}};
    auto known = state.alerts.find(m.key);
    const AlertRecord *previous = nullptr;
    if (known != state.alerts.end()) {
        d.previous = known->second;
        previous = &d.previous;
    }
    d.action = decide(measured, firing, previous, now, quiet_seconds);
    return d;
}

}  // namespace

AlertState parse_alert_state(const std::string &json) {
    AlertState state;
    try {
        nlohmann::json doc = nlohmann::json::parse(json);
        int version = doc.is_object() && doc.contains("version") && doc["version"].is_number_integer()
                          ? doc["version"].get<int>()
                          : 0;
        if (version < oldest_state_version || version > state_version) {
            throw StateFormatError("not a version " + std::to_string(oldest_state_version) +
                                   " to " + std::to_string(state_version) + " state file");
        }
        const nlohmann::json &alerts = doc.at("alerts");
        if (!alerts.is_object()) {
            throw StateFormatError("\"alerts\" is not an object");
        }
        for (const auto &[key, item] : alerts.items()) {
            AlertRecord r;
            r.since = item.at("since").get<std::int64_t>();
            r.alerted_at = item.at("alerted_at").get<std::int64_t>();
            r.percent = item.at("percent").get<double>();
            r.threshold = item.at("threshold").get<double>();
            r.open = item.at("open").get<bool>();
            if (item.contains("seconds_to_full")) {
                r.seconds_to_full = item.at("seconds_to_full").get<double>();
            }
            state.alerts.emplace(key, r);
        }
        if (version >= 2 && doc.contains("samples")) {
            const nlohmann::json &samples = doc.at("samples");
            if (!samples.is_object()) {
                throw StateFormatError("\"samples\" is not an object");
            }
            for (const auto &[path, item] : samples.items()) {
                state.samples.emplace(path, parse_series(item));
            }
        }
    } catch (const nlohmann::json::exception &e) {
        throw StateFormatError(e.what());
    }
    return state;
}

std::string serialize_alert_state(const AlertState &state) {
    nlohmann::json alerts = nlohmann::json::object();
    for (const auto &[key, r] : state.alerts) {
        alerts[key] = {{"since", r.since},
                       {"alerted_at", r.alerted_at},
                       {"percent", r.percent},
                       {"threshold", r.threshold},
                       {"open", r.open}};
        if (r.seconds_to_full) {
            alerts[key]["seconds_to_full"] = *r.seconds_to_full;
        }
    }
    nlohmann::json samples = nlohmann::json::object();
    for (const auto &[path, series] : state.samples) {
        nlohmann::json points = nlohmann::json::array();
        for (const SpaceSample &p : series.samples) {
            points.push_back({p.time, p.used, p.available});
        }
        samples[path] = {{"size", series.size}, {"points", points}};
    }
    nlohmann::json doc = {{"version", state_version}, {"alerts", alerts}, {"samples", samples}};
    // On one line: the samples would take five lines each when indented.
    // A mount point that is not UTF-8 must not make every run fail: its bytes
    // become U+FFFD (and its record is then not found again).
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<AlertDecision> decide_alerts(const std::vector<Measurement> &measurements,
                                         const AlertState &state, std::int64_t now,
                                         std::int64_t quiet_seconds) {
    std::vector<AlertDecision> out;
    out.reserve(measurements.size());
    for (const Measurement &m : measurements) {
        out.push_back(decision_for(m, m.measured(), m.over_threshold(), state, now, quiet_seconds));
    }
    return out;
}

std::vector<AlertDecision> decide_trend_alerts(const std::vector<TrendCheck> &checks,
                                               const AlertState &state, std::int64_t now,
                                               std::int64_t quiet_seconds) {
    std::vector<AlertDecision> out;
    out.reserve(checks.size());
    for (const TrendCheck &c : checks) {
        AlertDecision d = decision_for(c.space, c.space.measured() && c.forecast.evaluated,
                                       c.forecast.warns, state, now, quiet_seconds);
        d.forecast = c.forecast;
        out.push_back(std::move(d));
    }
    return out;
}

bool needs_mail(const std::vector<AlertDecision> &decisions) {
    for (const AlertDecision &d : decisions) {
        if (mails(d.action)) {
            return true;
        }
    }
    return false;
}

AlertState state_after_mail(const AlertState &state, const std::vector<AlertDecision> &decisions,
                            std::int64_t now) {
    AlertState next = state;
    for (const AlertDecision &d : decisions) {
        const Measurement &m = d.measurement;
        switch (d.action) {
        case AlertAction::warn:
        case AlertAction::remind: {
            std::int64_t since = d.action == AlertAction::warn ? now : d.previous.since;
            AlertRecord r{since, now, m.percent, m.threshold, true};
            if (d.forecast) {
                r.seconds_to_full = d.forecast->seconds_to_full;
            }
            next.alerts[m.key] = r;
            break;
        }
        case AlertAction::resolve:
            next.alerts[m.key].open = false;
            break;
        case AlertAction::forget:
            next.alerts.erase(m.key);
            break;
        case AlertAction::none:
        case AlertAction::stay_quiet:
        case AlertAction::keep:
            break;
        }
    }
    return next;
}

}  // namespace trace_ctl
