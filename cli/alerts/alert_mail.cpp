#include "alerts/alert_mail.hpp"

#include "alerts/mail_message.hpp"
#include "alerts/nagios.hpp"

#include <cstdio>
#include <sstream>

namespace trace_ctl {

namespace {

// More items than this make the subject a count instead of a list.
constexpr size_t subject_items = 3;

std::string value_and_threshold(const Measurement &m) {
    return format_percent(m.percent) + "% (threshold " + format_threshold(m.threshold) + "%)";
}

std::string date_of(std::int64_t t) {
    return rfc5322_date_now(static_cast<std::time_t>(t));
}

// 1.2 GiB, 340 MiB, 12 KiB, 512 B.
std::string format_bytes(double bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        bytes /= 1024;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof(buf), unit && bytes < 10 ? "%.1f %s" : "%.0f %s", bytes,
                  units[unit]);
    return buf;
}

std::string hours_of(std::int64_t seconds) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f h", static_cast<double>(seconds) / 3600);
    return buf;
}

// "/var will be full in about 3 h"
std::string filling_up(const Measurement &m, const Forecast &f) {
    return m.label + " will be full in " + format_time_to_full(f.seconds_to_full.value_or(0));
}

// How the forecast was made, for the body.
std::string forecast_detail(const Measurement &m, const Forecast &f) {
    std::ostringstream out;
    out << "    " << format_percent(m.percent) << "% used";
    if (m.bytes) {
        out << ", " << format_bytes(static_cast<double>(m.bytes->available)) << " available";
    }
    out << "; available space falling by " << format_bytes(-f.slope * 3600)
        << "/h over the last " << hours_of(f.span_seconds) << " (" << f.samples
        << " samples)\n";
    return out.str();
}

// What the forecast says now, for a resolved trend: why it no longer warns.
std::string forecast_now(const Measurement &m, const Forecast &f) {
    if (!f.seconds_to_full) {
        return "not filling up";
    }
    std::string at_rate = "full in " + format_time_to_full(*f.seconds_to_full) + " at the current rate";
    if (*f.seconds_to_full < static_cast<double>(f.horizon_seconds) &&
        m.percent <= f.min_percent_used) {
        return "not over " + format_threshold(f.min_percent_used) + "% used (" + at_rate + ")";
    }
    return at_rate;
}

}  // namespace

AlertMailText compose_alert_mail(std::string_view host, const std::vector<AlertDecision> &decisions,
                                 std::int64_t now, std::int64_t quiet_minutes) {
    std::vector<std::string> subject_parts;
    std::ostringstream over, filling, resolved, unfilling, all;
    size_t over_count = 0, filling_count = 0, resolved_count = 0;
    for (const AlertDecision &d : decisions) {
        const Measurement &m = d.measurement;
        if (d.forecast) {
            const Forecast &f = *d.forecast;
            if (d.action == AlertAction::warn || d.action == AlertAction::remind) {
                ++filling_count;
                subject_parts.push_back(filling_up(m, f));
                filling << "  " << filling_up(m, f) << " at its current rate\n"
                        << forecast_detail(m, f);
                if (d.action == AlertAction::remind) {
                    filling << "    predicted to fill up since " << date_of(d.previous.since)
                            << '\n';
                }
            } else if (d.action == AlertAction::resolve) {
                ++resolved_count;
                subject_parts.push_back("resolved: " + m.label + " no longer predicted full");
                unfilling << "  " << m.label << " is no longer predicted to be full within "
                         << f.horizon_seconds / 3600 << " h: " << format_percent(m.percent)
                         << "% used, " << forecast_now(m, f) << "\n"
                         << "    predicted to fill up since " << date_of(d.previous.since)
                         << '\n';
            }
            continue;  // its space is among the measurements already
        }
        switch (d.action) {
        case AlertAction::warn:
        case AlertAction::remind:
            ++over_count;
            subject_parts.push_back(m.description + " at " + value_and_threshold(m));
            over << "  " << m.description << ": " << format_percent(m.percent)
                 << "% used, threshold " << format_threshold(m.threshold) << "%";
            if (d.action == AlertAction::remind) {
                over << "\n    still over since " << date_of(d.previous.since);
            }
            over << '\n';
            break;
        case AlertAction::resolve:
            ++resolved_count;
            subject_parts.push_back("resolved: " + m.description + " at " +
                                    value_and_threshold(m));
            resolved << "  " << m.description << ": " << format_percent(m.percent)
                     << "% used, threshold " << format_threshold(m.threshold) << "%\n"
                     << "    over since " << date_of(d.previous.since) << '\n';
            break;
        default:
            break;
        }
        if (m.measured()) {
            all << "  " << m.description << ": " << format_percent(m.percent) << "% used"
                << (m.over_threshold() ? ", over " : ", threshold ")
                << format_threshold(m.threshold) << "%\n";
        } else {
            all << "  " << m.description << ": not measured: " << m.error << '\n';
        }
    }

    AlertMailText mail;
    mail.subject = "[nginx-trace] " + std::string(host) + ": ";
    if (subject_parts.size() <= subject_items) {
        for (size_t i = 0; i < subject_parts.size(); ++i) {
            mail.subject += (i ? "; " : "") + subject_parts[i];
        }
    } else {
        std::vector<std::string> counts;
        if (over_count) {
            counts.push_back(std::to_string(over_count) + " resources over their threshold");
        }
        if (filling_count) {
            counts.push_back(std::to_string(filling_count) + " filling up");
        }
        for (size_t i = 0; i < counts.size(); ++i) {
            mail.subject += (i ? ", " : "") + counts[i];
        }
        if (resolved_count) {
            mail.subject += ", " + std::to_string(resolved_count) + " resolved";
        }
    }

    std::ostringstream body;
    body << "Host: " << host << "\n"
         << "Checked: " << date_of(now) << "\n\n";
    if (over_count) {
        body << "Over threshold:\n" << over.str() << '\n';
    }
    if (filling_count) {
        body << "Filling up:\n" << filling.str() << '\n';
    }
    if (!resolved.str().empty()) {
        body << "Back under threshold:\n" << resolved.str() << '\n';
    }
    if (!unfilling.str().empty()) {
        body << "No longer predicted full:\n" << unfilling.str() << '\n';
    }
    body << "All measurements:\n" << all.str() << '\n';
    if (over_count) {
        body << "No further mail about " << (over_count == 1 ? "this resource" : "these resources")
             << " for " << quiet_minutes << " minutes (quiet_time_minutes)\n"
             << "while it stays over its threshold; a mail says when it is back under it.\n\n";
    }
    if (filling_count) {
        body << "No further mail about " << (filling_count == 1 ? "this prediction" : "these predictions")
             << " for " << quiet_minutes << " minutes (quiet_time_minutes)\n"
             << "while it holds; a mail says when it no longer does. The prediction is a\n"
             << "straight line through the samples of the last hours: a burst of writes\n"
             << "that is cleaned up again (a backup, a log rotation) can fool it.\n\n";
    }
    body << "-- \ntrace-ctl check-resources on " << host << '\n';
    mail.body = body.str();
    return mail;
}

}  // namespace trace_ctl
