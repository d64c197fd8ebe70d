// trace-ctl check-resources: measures memory, swap, disk space and inodes
// against their thresholds, and how fast each filesystem fills up, prints one
// Nagios status line, and mails warning_emails when a resource crosses its
// threshold (or is predicted to be full soon) or comes back under it, at most
// once per quiet period; --textfile writes the same for node_exporter. Needs
// no database: a full disk is exactly when PostgreSQL may be down.

#include "alerts/check_resources.hpp"

#include "alerts/alert_mail.hpp"
#include "alerts/alert_state.hpp"
#include "alerts/mail_message.hpp"
#include "alerts/mailer.hpp"
#include "alerts/nagios.hpp"
#include "alerts/resources.hpp"
#include "alerts/state_file.hpp"
#include "alerts/textfile.hpp"
#include "alerts/trend.hpp"
#include "common/hex.hpp"

#include <netdb.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

namespace trace_ctl {

namespace {

// How long a run waits for another one (which may be waiting for a slow SMTP
// server) before it gives up with UNKNOWN.
constexpr std::chrono::seconds lock_wait{120};

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
        // Not secret, only unique: time and pid already make it so.
        return "0";
    }
    return trace::to_hex(buf.data(), buf.size());
}

void check_host_name(const std::string &host) {
    for (unsigned char c : host) {
        if (c < 0x20 || c == 0x7f) {
            throw ConfigError("--host must be a host name on one line");
        }
    }
}

Thresholds thresholds_of(const Config &config, const CheckResourcesOptions &opts) {
    Thresholds t;
    t.memory = opts.memory_threshold.value_or(config.memory_threshold);
    t.disk = opts.disk_threshold.value_or(config.disk_threshold);
    t.inodes = opts.inode_threshold.value_or(config.inode_threshold.value_or(t.disk));
    t.swap = opts.swap_threshold.value_or(config.swap_threshold.value_or(t.memory));
    return t;
}

// The filesystems of this run with their forecasts, from the samples of the
// state file. Only disk space measurements carry the bytes a forecast needs.
std::vector<TrendCheck> trend_checks(const std::vector<Measurement> &measurements,
                                     const AlertState &state, std::int64_t now,
                                     const TrendRule &rule) {
    std::vector<TrendCheck> out;
    for (const Measurement &m : measurements) {
        if (!m.bytes) {
            continue;
        }
        TrendCheck c{m, {}};
        c.space.key = trend_key_prefix + m.label;
        auto history = state.samples.find(m.label);
        SpaceSample current{now, m.bytes->used, m.bytes->available};
        c.forecast = forecast_space(history == state.samples.end() ? SampleSeries{} : history->second,
                                    m.bytes->size, current, m.percent, rule);
        out.push_back(std::move(c));
    }
    return out;
}

// The samples to keep after this run: this run's for every filesystem
// measured, and those of filesystems not measured this time until they age
// out of the window.
std::map<std::string, SampleSeries> samples_after(const std::vector<Measurement> &measurements,
                                                  const AlertState &state, std::int64_t now,
                                                  const TrendRule &rule) {
    std::map<std::string, SampleSeries> next;
    for (const Measurement &m : measurements) {
        if (!m.bytes) {
            continue;
        }
        auto history = state.samples.find(m.label);
        next[m.label] = record_sample(
            history == state.samples.end() ? SampleSeries{} : history->second, m.bytes->size,
            SpaceSample{now, m.bytes->used, m.bytes->available}, rule);
    }
    for (const auto &[path, series] : state.samples) {
        if (next.count(path) == 0) {
            SampleSeries aged = age_series(series, now, rule);
            if (!aged.samples.empty()) {
                next[path] = std::move(aged);
            }
        }
    }
    return next;
}

std::string hours_text(std::int64_t seconds) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f h", static_cast<double>(seconds) / 3600);
    return buf;
}

// A damaged state file must not silence warnings forever: say so and start
// afresh; `damaged` asks the caller to replace it.
AlertState load_state(const std::string &path, bool &damaged) {
    damaged = false;
    std::optional<std::string> text = read_state_file(path);
    if (!text) {
        return {};
    }
    try {
        return parse_alert_state(*text);
    } catch (const StateFormatError &e) {
        std::cerr << "trace-ctl check-resources: ignoring the unreadable state file " << path
                  << " (" << e.what() << "); starting afresh\n";
        damaged = true;
        return {};
    }
}

const char *action_name(AlertAction action) {
    switch (action) {
    case AlertAction::warn:
        return "mail: over threshold";
    case AlertAction::remind:
        return "mail: still over threshold, quiet period over";
    case AlertAction::stay_quiet:
        return "no mail: within the quiet period";
    case AlertAction::resolve:
        return "mail: resolved";
    case AlertAction::forget:
        return "no mail: resolved earlier, quiet period over";
    case AlertAction::keep:
        return "no mail: not measured";
    case AlertAction::none:
        break;
    }
    return "no mail";
}

std::string join(const std::vector<std::string> &items, const char *separator) {
    std::string out;
    for (const std::string &item : items) {
        out += (out.empty() ? "" : separator) + item;
    }
    return out;
}

class Check {
public:
    Check(const Context &ctx, const CheckResourcesOptions &opts)
        : ctx_(ctx), opts_(opts), config_(ctx.config) {
        rule_.horizon_seconds = opts_.predict_hours.value_or(config_.predict_hours) * 3600;
    }

    int run() {
        host_ = !opts_.host.empty() ? opts_.host
                : config_.host      ? *config_.host
                                    : detect_host_name();
        check_host_name(host_);
        state_path_ = !opts_.state_file.empty() ? opts_.state_file : config_.state_file;
        mails_ = !opts_.no_mail && !config_.warning_emails.empty();
        // The state file keeps the quiet periods and the trend's samples: it is
        // used when mail may be sent, or for the textfile's forecast. Never
        // with --no-mail, which leaves it alone.
        bool stateful = !opts_.no_mail && (mails_ || !opts_.textfile_dir.empty());
        if (mails_) {
            try {
                password_ = prepare_smtp(config_.smtp);
            } catch (const ConfigError &e) {
                throw ConfigError(origin() + e.what());
            }
        }
        if (!stateful) {
            return stateless_run();
        }
        if (opts_.dry_run) {
            return dry_run();
        }
        StateLock lock(state_path_, lock_wait);
        return stateful_run();
    }

private:
    std::vector<Measurement> measure() const {
        return measure_resources(thresholds_of(config_, opts_),
                                 opts_.paths.empty() ? config_.disk_paths : opts_.paths);
    }

    std::string origin() const { return config_.source.empty() ? "" : config_.source + ": "; }

    bool trend_enabled() const { return rule_.horizon_seconds > 0; }

    // What this run measured and what it means for the mail.
    struct Plan {
        std::vector<Measurement> measurements;
        std::vector<TrendCheck> trends;
        std::time_t now = 0;
        AlertState state;
        bool state_damaged = false;
        std::vector<AlertDecision> decisions;
    };

    // The status and its line. `notes` say what of ours failed (mail, state,
    // textfile): then the status is never OK.
    int report(const Plan &p, const std::vector<std::string> &notes = {}) const {
        StatusExtras extras;
        bool predicted_full = false;
        for (const TrendCheck &t : p.trends) {
            if (!t.forecast.seconds_to_full) {
                continue;
            }
            if (t.forecast.warns) {
                predicted_full = true;
                extras.warnings.push_back(t.space.label + " full in " +
                                          format_time_to_full(*t.forecast.seconds_to_full));
            }
            extras.perfdata.push_back(
                time_to_full_perfdata(t.space.label, *t.forecast.seconds_to_full));
        }
        NagiosStatus status = overall_status(p.measurements, predicted_full);
        if (!notes.empty() && status == nagios_ok) {
            status = nagios_unknown;
        }
        std::cout << status_line(p.measurements, status, join(notes, "; "), extras) << '\n';
        return status;
    }

    void explain(const Plan &p) const {
        if (!ctx_.options.verbose) {
            return;
        }
        for (const TrendCheck &t : p.trends) {
            const Forecast &f = t.forecast;
            std::cerr << t.space.key << ": " << f.samples << " samples over "
                      << hours_text(f.span_seconds);
            if (!f.evaluated) {
                std::cerr << ", no forecast yet (needs " << rule_.min_samples << " over "
                          << hours_text(rule_.min_span_seconds) << ")\n";
            } else if (f.seconds_to_full) {
                std::cerr << ", full in " << format_time_to_full(*f.seconds_to_full) << '\n';
            } else {
                std::cerr << ", not filling up\n";
            }
        }
        for (const AlertDecision &d : p.decisions) {
            std::cerr << d.measurement.key << ": " << action_name(d.action) << '\n';
        }
    }

    Plan plan() const {
        Plan p;
        p.measurements = measure();
        p.now = std::time(nullptr);
        p.state = load_state(state_path_, p.state_damaged);
        if (trend_enabled()) {
            p.trends = trend_checks(p.measurements, p.state, p.now, rule_);
        }
        if (mails_) {
            p.decisions = decide_alerts(p.measurements, p.state, p.now, quiet_seconds());
            std::vector<AlertDecision> trends =
                decide_trend_alerts(p.trends, p.state, p.now, quiet_seconds());
            p.decisions.insert(p.decisions.end(), trends.begin(), trends.end());
        }
        explain(p);
        return p;
    }

    // --no-mail, or no warning_emails and no textfile: measure and print
    // (and write the textfile, without forecast), the state file untouched.
    int stateless_run() const {
        Plan p;
        p.measurements = measure();
        p.now = std::time(nullptr);
        std::vector<std::string> notes;
        if (!opts_.dry_run) {
            write_textfile_noting(p, notes);
        } else if (!opts_.textfile_dir.empty()) {
            say_dry_run_textfile();
        }
        return report(p, notes);
    }

    int dry_run() const {
        Plan p = plan();
        int status = report(p);
        if (mails_ && needs_mail(p.decisions)) {
            AlertMailText text =
                compose_alert_mail(host_, p.decisions, p.now, config_.quiet_time_minutes);
            std::cout << "dry run: would mail " << join(config_.warning_emails, ", ") << ": "
                      << text.subject << '\n';
        } else if (mails_) {
            std::cout << "dry run: no mail due\n";
        }
        if (!opts_.textfile_dir.empty()) {
            say_dry_run_textfile();
        }
        return status;
    }

    void say_dry_run_textfile() const {
        std::cout << "dry run: would write "
                  << (opts_.textfile_dir.empty() || opts_.textfile_dir.back() == '/'
                          ? opts_.textfile_dir
                          : opts_.textfile_dir + "/")
                  << textfile_name << '\n';
    }

    int stateful_run() {
        Plan p = plan();
        std::vector<std::string> notes;
        bool mailed = true;
        if (mails_ && needs_mail(p.decisions)) {
            try {
                send(p.decisions, p.now);
            } catch (const MailError &e) {
                // No quiet period starts: the next run tries again.
                std::cerr << "trace-ctl check-resources: " << e.what()
                          << " (no quiet period started; the next run tries again)\n";
                notes.push_back("mail not sent");
                mailed = false;
            }
        }
        // The samples are kept whatever happened to the mail.
        AlertState next = mailed ? state_after_mail(p.state, p.decisions, p.now) : p.state;
        next.samples.clear();
        if (trend_enabled()) {
            next.samples = samples_after(p.measurements, p.state, p.now, rule_);
        } else {
            // Switched off: what it said is forgotten, without a mail.
            for (auto it = next.alerts.begin(); it != next.alerts.end();) {
                it = it->first.rfind(trend_key_prefix, 0) == 0 ? next.alerts.erase(it)
                                                                : std::next(it);
            }
        }
        if (p.state_damaged || serialize_alert_state(next) != serialize_alert_state(p.state)) {
            try {
                write_state_file(state_path_, serialize_alert_state(next));
            } catch (const StateFileError &e) {
                std::cerr << "trace-ctl check-resources: " << e.what() << '\n';
                notes.push_back("state not saved");
            }
        }
        write_textfile_noting(p, notes);
        return report(p, notes);
    }

    void write_textfile_noting(const Plan &p, std::vector<std::string> &notes) const {
        if (opts_.textfile_dir.empty()) {
            return;
        }
        try {
            write_textfile(opts_.textfile_dir, prometheus_text(p.measurements, p.trends, p.now));
        } catch (const TextfileError &e) {
            std::cerr << "trace-ctl check-resources: " << e.what() << '\n';
            notes.push_back("textfile not written");
        }
    }

    void send(const std::vector<AlertDecision> &decisions, std::time_t now) const {
        AlertMailText text =
            compose_alert_mail(host_, decisions, now, config_.quiet_time_minutes);
        MailMessage message;
        message.from = config_.smtp.from.empty() ? "nginx-trace@" + host_ : config_.smtp.from;
        message.to = config_.warning_emails;
        message.subject = text.subject;
        message.body = text.body;
        message.date = rfc5322_date_now(now);
        message.message_id = make_message_id(now, static_cast<long>(::getpid()), random_hex(8),
                                             host_);
        std::string wire;
        try {
            wire = build_message(message);
        } catch (const std::invalid_argument &e) {
            throw MailError(std::string("cannot build the mail: ") + e.what());
        }
        send_mail(config_.smtp, password_, Envelope{message.from, message.to}, wire);
    }

    std::int64_t quiet_seconds() const { return config_.quiet_time_minutes * 60; }

    const Context &ctx_;
    const CheckResourcesOptions &opts_;
    const Config &config_;
    TrendRule rule_;
    bool mails_ = false;
    std::string host_;
    std::string state_path_;
    std::string password_;
};

}  // namespace

std::string detect_host_name() {
    char name[HOST_NAME_MAX + 1] = "";
    if (::gethostname(name, sizeof(name)) != 0 || name[0] == '\0') {
        return "localhost";
    }
    name[HOST_NAME_MAX] = '\0';
    std::string host = name;
    struct addrinfo hints {};
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = nullptr;
    if (::getaddrinfo(name, nullptr, &hints, &res) == 0) {
        if (res && res->ai_canonname && std::strchr(res->ai_canonname, '.')) {
            host = res->ai_canonname;
        }
        ::freeaddrinfo(res);
    }
    return host;
}

int run_check_resources(const Context &ctx, const CheckResourcesOptions &opts) {
    return Check(ctx, opts).run();
}

}  // namespace trace_ctl
