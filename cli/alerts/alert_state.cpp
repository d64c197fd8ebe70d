#include "alerts/alert_state.hpp"

#include <nlohmann/json.hpp>

namespace trace_ctl {

namespace {

constexpr int state_version = 1;

bool mails(AlertAction action) {
    return action == AlertAction::warn || action == AlertAction::remind ||
           action == AlertAction::resolve;
}

}  // namespace

AlertState parse_alert_state(const std::string &json) {
    AlertState state;
    try {
        nlohmann::json doc = nlohmann::json::parse(json);
        if (!doc.is_object() || doc.value("version", 0) != state_version) {
            throw StateFormatError("not a version " + std::to_string(state_version) +
                                   " state file");
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
            state.alerts.emplace(key, r);
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
    }
    nlohmann::json doc = {{"version", state_version}, {"alerts", alerts}};
    return doc.dump(2) + "\n";
}

std::vector<AlertDecision> decide_alerts(const std::vector<Measurement> &measurements,
                                         const AlertState &state, std::int64_t now,
                                         std::int64_t quiet_seconds) {
    std::vector<AlertDecision> out;
    out.reserve(measurements.size());
    for (const Measurement &m : measurements) {
        AlertDecision d{m, AlertAction::none, {}};
        auto known = state.alerts.find(m.key);
        bool was_reported = known != state.alerts.end();
        if (was_reported) {
            d.previous = known->second;
        }
        bool quiet = was_reported && now >= d.previous.alerted_at &&
                     now < d.previous.alerted_at + quiet_seconds;
        if (!m.measured()) {
            d.action = AlertAction::keep;
        } else if (m.over_threshold()) {
            if (quiet) {
                d.action = AlertAction::stay_quiet;
            } else if (was_reported && d.previous.open) {
                d.action = AlertAction::remind;
            } else {
                d.action = AlertAction::warn;
            }
        } else if (was_reported && d.previous.open) {
            d.action = AlertAction::resolve;
        } else if (was_reported && !quiet) {
            d.action = AlertAction::forget;
        }
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
            next.alerts[m.key] = AlertRecord{now, now, m.percent, m.threshold, true};
            break;
        case AlertAction::remind:
            next.alerts[m.key] = AlertRecord{d.previous.since, now, m.percent, m.threshold, true};
            break;
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
