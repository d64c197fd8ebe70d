// trace-ctl check-resources: measures memory, disk space and inodes against
// their thresholds, prints one Nagios status line, and mails warning_emails
// when a resource crosses its threshold or comes back under it, at most once
// per quiet period. Needs no database: a full disk is exactly when PostgreSQL
// may be down.

#include "alerts/check_resources.hpp"

#include "alerts/alert_mail.hpp"
#include "alerts/alert_state.hpp"
#include "alerts/mail_message.hpp"
#include "alerts/mailer.hpp"
#include "alerts/nagios.hpp"
#include "alerts/resources.hpp"
#include "alerts/state_file.hpp"
#include "common/hex.hpp"

#include <netdb.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>
#include <iostream>
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
    return t;
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
        : ctx_(ctx), opts_(opts), config_(ctx.config) {}

    int run() {
        host_ = !opts_.host.empty() ? opts_.host
                : config_.host      ? *config_.host
                                    : detect_host_name();
        check_host_name(host_);
        state_path_ = !opts_.state_file.empty() ? opts_.state_file : config_.state_file;
        bool mails = !opts_.no_mail && !config_.warning_emails.empty();
        if (!mails) {
            return report(measure());
        }
        try {
            password_ = prepare_smtp(config_.smtp);
        } catch (const ConfigError &e) {
            throw ConfigError(origin() + e.what());
        }
        if (opts_.dry_run) {
            return dry_run();
        }
        StateLock lock(state_path_, lock_wait);
        return mail_run();
    }

private:
    std::vector<Measurement> measure() const {
        return measure_resources(thresholds_of(config_, opts_),
                                 opts_.paths.empty() ? config_.disk_paths : opts_.paths);
    }

    std::string origin() const { return config_.source.empty() ? "" : config_.source + ": "; }

    int report(const std::vector<Measurement> &measurements) const {
        NagiosStatus status = overall_status(measurements);
        std::cout << status_line(measurements, status) << '\n';
        return status;
    }

    // Something of ours failed although the resources may be fine: never OK.
    int report_failure(const std::vector<Measurement> &measurements, const char *note) const {
        NagiosStatus status = overall_status(measurements);
        if (status == nagios_ok) {
            status = nagios_unknown;
        }
        std::cout << status_line(measurements, status, note) << '\n';
        return status;
    }

    void explain(const std::vector<AlertDecision> &decisions) const {
        if (!ctx_.options.verbose) {
            return;
        }
        for (const AlertDecision &d : decisions) {
            std::cerr << d.measurement.key << ": " << action_name(d.action) << '\n';
        }
    }

    // What this run measured and what it means for the mail.
    struct Plan {
        std::vector<Measurement> measurements;
        std::time_t now = 0;
        AlertState state;
        bool state_damaged = false;
        std::vector<AlertDecision> decisions;
    };

    Plan plan() const {
        Plan p;
        p.measurements = measure();
        p.now = std::time(nullptr);
        p.state = load_state(state_path_, p.state_damaged);
        p.decisions = decide_alerts(p.measurements, p.state, p.now, quiet_seconds());
        explain(p.decisions);
        return p;
    }

    int dry_run() {
        Plan p = plan();
        int status = report(p.measurements);
        if (needs_mail(p.decisions)) {
            AlertMailText text =
                compose_alert_mail(host_, p.decisions, p.now, config_.quiet_time_minutes);
            std::cout << "dry run: would mail " << join(config_.warning_emails, ", ") << ": "
                      << text.subject << '\n';
        } else {
            std::cout << "dry run: no mail due\n";
        }
        return status;
    }

    int mail_run() {
        Plan p = plan();
        if (needs_mail(p.decisions)) {
            try {
                send(p.decisions, p.now);
            } catch (const MailError &e) {
                // No quiet period starts: the next run tries again.
                std::cerr << "trace-ctl check-resources: " << e.what()
                          << " (no quiet period started; the next run tries again)\n";
                return report_failure(p.measurements, "mail not sent");
            }
        }
        AlertState next = state_after_mail(p.state, p.decisions, p.now);
        if (p.state_damaged || serialize_alert_state(next) != serialize_alert_state(p.state)) {
            try {
                write_state_file(state_path_, serialize_alert_state(next));
            } catch (const StateFileError &e) {
                std::cerr << "trace-ctl check-resources: " << e.what() << '\n';
                return report_failure(p.measurements, "state not saved");
            }
        }
        return report(p.measurements);
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
