#include "alerts/alert_mail.hpp"

#include "alerts/mail_message.hpp"
#include "alerts/nagios.hpp"

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

}  // namespace

AlertMailText compose_alert_mail(std::string_view host, const std::vector<AlertDecision> &decisions,
                                 std::int64_t now, std::int64_t quiet_minutes) {
    std::vector<std::string> subject_parts;
    std::ostringstream over, resolved, all;
    size_t over_count = 0, resolved_count = 0;
    for (const AlertDecision &d : decisions) {
        const Measurement &m = d.measurement;
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
        mail.subject += std::to_string(over_count) + " resources over their threshold";
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
    if (resolved_count) {
        body << "Back under threshold:\n" << resolved.str() << '\n';
    }
    body << "All measurements:\n" << all.str() << '\n';
    if (over_count) {
        body << "No further mail about " << (over_count == 1 ? "this resource" : "these resources")
             << " for " << quiet_minutes << " minutes (quiet_time_minutes)\n"
             << "while it stays over its threshold; a mail says when it is back under it.\n\n";
    }
    body << "-- \ntrace-ctl check-resources on " << host << '\n';
    mail.body = body.str();
    return mail;
}

}  // namespace trace_ctl
