// trace-ctl's configuration file (/etc/nginx/trace.toml): the old Django
// settings' names in snake case, plus what the new tool needs.

#ifndef TRACE_CTL_APP_CONFIG_HPP
#define TRACE_CTL_APP_CONFIG_HPP

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace trace_ctl {

inline constexpr const char *default_config_path = "/etc/nginx/trace.toml";
inline constexpr const char *default_state_file = "/var/lib/nginx-trace/state.json";
// predict_hours at most a year: a 6-hour window says nothing about later.
inline constexpr std::int64_t max_predict_hours = 24 * 365;

// A problem with the configuration: one line naming the file, line and key.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class TlsMode { starttls, tls, none };

struct SmtpConfig {
    std::string host = "localhost";
    int port = 0;                      // 0: 587 for starttls, 465 for tls, 25 for none
    std::string user;
    std::string password_file;         // never the password itself
    TlsMode tls = TlsMode::starttls;
    std::string from;                  // default: nginx-trace@<host>
    std::string ca_file;               // default: the system's trust store
    int timeout_seconds = 30;

    int effective_port() const;
};

struct Config {
    std::string source;                // the file it came from, or "" for built-in defaults

    std::optional<std::string> database;            // libpq conninfo
    std::vector<std::string> warning_emails;
    double memory_threshold = 85;
    double disk_threshold = 85;
    std::optional<double> inode_threshold;          // default: disk_threshold
    std::optional<double> swap_threshold;           // default: memory_threshold
    std::int64_t predict_hours = 24;                // the trend's horizon; 0: no trend
    std::vector<std::string> disk_paths;            // empty: every real filesystem
    std::int64_t max_log_count = 10000;
    std::optional<std::int64_t> max_audit_count;    // empty: keep every audit row
    std::optional<std::int64_t> max_age_days;       // empty: requests kept whatever their age
    std::optional<std::int64_t> max_audit_age_days; // empty: audit rows kept whatever their age
    std::int64_t batch_retention_days = 30;         // trace.batches entries kept this long
    std::int64_t quiet_time_minutes = 1440;
    std::optional<std::string> host;                // default: the machine's name
    std::string state_file = default_state_file;
    std::string session_key_file;                   // same file as trace_session_key
    std::string status_url;                         // the module's trace_status location
    SmtpConfig smtp;
};

// Parses TOML text; `origin` names it in errors. Throws ConfigError.
Config parse_config(const std::string &text, const std::string &origin);

// Loads `path`. When `path` is the default and the file does not exist, the
// built-in defaults apply; an explicitly named file must exist.
Config load_config(const std::string &path, bool explicitly_named);

}  // namespace trace_ctl

#endif
