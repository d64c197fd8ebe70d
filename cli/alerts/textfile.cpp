#include "alerts/textfile.hpp"

#include "app/files.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace trace_ctl {

namespace {

// One metric family: its HELP and TYPE lines, then its samples, together as
// the format requires.
class Family {
public:
    Family(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}

    void add(const std::string &labels, const std::string &value) {
        samples_ += name_ + labels + " " + value + "\n";
    }

    std::string text() const {
        if (samples_.empty()) {
            return "";
        }
        return "# HELP " + name_ + " " + help_ + "\n# TYPE " + name_ + " gauge\n" + samples_;
    }

private:
    std::string name_, help_, samples_;
};

// {resource="disk",path="/var"} from a state key: memory, swap, or
// space:PATH (resource "disk", as node_exporter's filesystem metrics are
// about disk space), inodes:PATH. A key of another kind ("mounts", when the
// mount table cannot be read) keeps its name.
std::string labels_of(const std::string &key) {
    size_t colon = key.find(':');
    if (colon == std::string::npos) {
        return "{resource=\"" + prometheus_label_value(key) + "\"}";
    }
    std::string resource = key.substr(0, colon);
    if (resource == "space") {
        resource = "disk";
    }
    return "{resource=\"" + prometheus_label_value(resource) + "\",path=\"" +
           prometheus_label_value(key.substr(colon + 1)) + "\"}";
}

std::string number(const char *format, double value) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), format, value);
    return buf;
}

// The percentages as the status line prints them, as ratios: 42.3% is 0.423.
std::string ratio(double percent) {
    return number("%.6g", percent / 100);
}

}  // namespace

std::string prometheus_label_value(std::string_view value) {
    // The JSON library's encoder replaces what is not UTF-8 with U+FFFD.
    std::string utf8 =
        nlohmann::json::parse(nlohmann::json(std::string(value))
                                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            .get<std::string>();
    std::string out;
    out.reserve(utf8.size());
    for (char c : utf8) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string prometheus_text(const std::vector<Measurement> &measurements,
                            const std::vector<TrendCheck> &trends, std::int64_t checked_at) {
    Family measured("nginx_trace_resource_measured",
                    "1 when trace-ctl check-resources could measure the resource, 0 when not "
                    "(its status line says why).");
    Family used("nginx_trace_resource_used_ratio",
                "Share of the resource in use, as check-resources' status line shows it "
                "(rounded to 0.001).");
    Family threshold("nginx_trace_resource_threshold_ratio",
                     "The resource's threshold: above it, check-resources is CRITICAL and mails.");
    Family over("nginx_trace_resource_over_threshold",
                "1 when the resource is over its threshold, else 0.");
    Family time_to_full("nginx_trace_resource_time_to_full_seconds",
                        "Seconds until the filesystem has no space available at its current "
                        "rate (least squares over the samples of the last 6 h); only while it "
                        "is filling up and enough samples exist.");
    Family predicted_full("nginx_trace_resource_predicted_full",
                          "1 when the filesystem will be full within predict_hours at its "
                          "current rate and is over 60% used (check-resources warns), else 0; "
                          "only where enough samples exist.");
    Family checked("nginx_trace_resources_check_timestamp_seconds",
                   "When trace-ctl check-resources measured, in seconds since the epoch.");

    for (const Measurement &m : measurements) {
        std::string labels = labels_of(m.key);
        measured.add(labels, m.measured() ? "1" : "0");
        threshold.add(labels, ratio(m.threshold));
        if (m.measured()) {
            used.add(labels, ratio(m.percent));
            over.add(labels, m.over_threshold() ? "1" : "0");
        }
    }
    for (const TrendCheck &t : trends) {
        if (!t.space.measured() || !t.forecast.evaluated) {
            continue;
        }
        std::string labels = labels_of("space:" + t.space.label);
        if (t.forecast.seconds_to_full) {
            time_to_full.add(labels, number("%.0f", *t.forecast.seconds_to_full));
        }
        predicted_full.add(labels, t.forecast.warns ? "1" : "0");
    }
    checked.add("", std::to_string(checked_at));

    std::string text;
    for (const Family *f :
         {&measured, &used, &threshold, &over, &time_to_full, &predicted_full, &checked}) {
        text += f->text();
    }
    return text;
}

std::string write_textfile(const std::string &dir, const std::string &text) {
    std::string path = (dir.empty() || dir.back() == '/' ? dir : dir + "/") + textfile_name;
    // A leading dot and a suffix after .prom: the collector reads only *.prom.
    std::string temp_path =
        (dir.empty() || dir.back() == '/' ? dir : dir + "/") + "." + textfile_name + ".XXXXXX";
    try {
        // node_exporter runs as its own user: the file must be readable by it.
        replace_file(path, temp_path, text, 0644);
    } catch (const FileError &e) {
        throw TextfileError(e.what());
    }
    return path;
}

}  // namespace trace_ctl
