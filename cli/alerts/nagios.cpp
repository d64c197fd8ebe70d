#include "alerts/nagios.hpp"

#include <cstdio>

namespace trace_ctl {

namespace {

// The text part of the line must stay one line and must not contain the '|'
// that starts the perfdata.
std::string plugin_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        out += (c == '|' || c < 0x20 || c == 0x7f) ? '_' : static_cast<char>(c);
    }
    return out;
}

void append_item(std::string &text, const std::string &item) {
    if (item.empty()) {
        return;
    }
    if (!text.empty()) {
        text += ", ";
    }
    text += item;
}

}  // namespace

const char *nagios_status_name(NagiosStatus status) {
    switch (status) {
    case nagios_ok:
        return "OK";
    case nagios_warning:
        return "WARNING";
    case nagios_critical:
        return "CRITICAL";
    case nagios_unknown:
        break;
    }
    return "UNKNOWN";
}

NagiosStatus overall_status(const std::vector<Measurement> &measurements, bool predicted_full) {
    bool unmeasured = false;
    for (const Measurement &m : measurements) {
        if (m.over_threshold()) {
            return nagios_critical;
        }
        unmeasured = unmeasured || !m.measured();
    }
    if (predicted_full) {
        return nagios_warning;
    }
    return unmeasured ? nagios_unknown : nagios_ok;
}

std::string format_percent(double percent) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", percent);
    return buf;
}

std::string format_threshold(double threshold) {
    std::string s = format_percent(threshold);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) {
        s.resize(s.size() - 2);
    }
    return s;
}

std::string perfdata_label(std::string_view label) {
    std::string out = "'";
    for (unsigned char c : label) {
        if (c == '\'') {
            out += "''";
        } else if (c == '=' || c == '|' || c < 0x20 || c == 0x7f) {
            out += '_';
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "'";
}

std::string perfdata_item(const Measurement &m) {
    // The one threshold fills both slots: monitoring that graphs the warning
    // line sees it, and a value over it is CRITICAL, as the exit status says.
    std::string threshold = format_threshold(m.threshold);
    return perfdata_label(m.label) + "=" + format_percent(m.percent) + "%;" + threshold + ";" +
           threshold + ";0;100";
}

std::string time_to_full_perfdata(std::string_view label, double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", seconds);
    return perfdata_label(std::string(label) + " time to full") + "=" + buf + "s;;;0";
}

std::string status_line(const std::vector<Measurement> &measurements, NagiosStatus status,
                        std::string_view note, const StatusExtras &extras) {
    std::string over, unmeasured, rest, perfdata;
    for (const Measurement &m : measurements) {
        if (m.over_threshold()) {
            append_item(over, m.label + " " + format_percent(m.percent) + "% > " +
                                  format_threshold(m.threshold) + "%");
        } else if (!m.measured()) {
            append_item(unmeasured, m.label + ": " + m.error);
            continue;  // no number to report
        } else {
            append_item(rest, m.label + " " + format_percent(m.percent) + "%");
        }
        if (!perfdata.empty()) {
            perfdata += ' ';
        }
        perfdata += perfdata_item(m);
    }
    std::string text = over;
    for (const std::string &warning : extras.warnings) {
        append_item(text, warning);
    }
    for (const std::string *part : {&unmeasured, &rest}) {
        append_item(text, *part);
    }
    if (text.empty()) {
        text = "nothing to measure";
    }
    if (!note.empty()) {
        text += "; ";
        text += note;
    }
    std::string line =
        std::string("RESOURCES ") + nagios_status_name(status) + " - " + plugin_text(text);
    for (const std::string &item : extras.perfdata) {
        if (!perfdata.empty()) {
            perfdata += ' ';
        }
        perfdata += item;
    }
    if (!perfdata.empty()) {
        line += " | " + perfdata;
    }
    return line;
}

std::string unknown_line(std::string_view message) {
    return std::string("RESOURCES UNKNOWN - ") + plugin_text(message);
}

}  // namespace trace_ctl
