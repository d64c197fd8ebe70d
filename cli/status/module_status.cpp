#include "status/module_status.hpp"

#include "app/output_format.hpp"
#include "app/table_output.hpp"
#include "app/time_text.hpp"

namespace trace_ctl {

namespace {

// Identities and times are not counters: a sum of pids or start times means
// nothing.
bool is_time(const std::string &key) {
    return key == "started" ||
           (key.size() > 5 && key.compare(key.size() - 5, 5, "_time") == 0);
}

bool is_counter(const std::string &key) { return key != "pid" && !is_time(key); }

// The module reports times as seconds since the epoch, 0 for "not yet"; people
// read them in the local zone. (--format json keeps the numbers.)
std::string value_text(const std::string &key, const nlohmann::ordered_json &value) {
    if (value.is_string()) {
        return "\"" + terminal_safe(value.get<std::string>()) + "\"";
    }
    if (is_time(key) && value.is_number_integer()) {
        std::int64_t seconds = value.get<std::int64_t>();
        return seconds <= 0 ? "never"
                            : "\"" + format_local_time(seconds * 1000000) + "\"";
    }
    return terminal_safe(json_text(value));
}

}  // namespace

ModuleCounters read_module_counters(const std::string &body) {
    nlohmann::ordered_json doc =
        nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        throw ModuleStatusError("the answer is not JSON");
    }
    if (!doc.is_object() || !doc.contains("workers") || !doc["workers"].is_array()) {
        throw ModuleStatusError("the answer has no \"workers\" array");
    }
    ModuleCounters counters;
    counters.workers = doc["workers"];
    for (const auto &worker : counters.workers) {
        if (!worker.is_object()) {
            throw ModuleStatusError("a worker in the answer is not an object");
        }
        for (const auto &[key, value] : worker.items()) {
            if (!is_counter(key) || !value.is_number()) {
                continue;
            }
            auto &total = counters.totals[key];
            bool both_integers =
                (total.is_null() || total.is_number_integer()) && value.is_number_integer();
            if (both_integers) {
                total =
                    (total.is_null() ? 0 : total.get<std::int64_t>()) + value.get<std::int64_t>();
            } else {
                total = (total.is_null() ? 0.0 : total.get<double>()) + value.get<double>();
            }
        }
    }
    return counters;
}

std::string counters_line(const nlohmann::ordered_json &object) {
    std::string line;
    for (const auto &[key, value] : object.items()) {
        line += (line.empty() ? "" : " ") + terminal_safe(key) + "=" + value_text(key, value);
    }
    return line;
}

}  // namespace trace_ctl
