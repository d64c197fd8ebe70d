#include "app/config.hpp"

#include <toml++/toml.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sstream>

namespace trace_ctl {

int SmtpConfig::effective_port() const {
    if (port != 0) {
        return port;
    }
    switch (tls) {
    case TlsMode::tls:
        return 465;
    case TlsMode::none:
        return 25;
    case TlsMode::starttls:
        break;
    }
    return 587;
}

namespace {

// Reads one table's keys into a Config, with errors that point at file:line.
class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const toml::node &node, const std::string &key,
                           const std::string &what) const {
        std::ostringstream msg;
        msg << origin_;
        if (node.source().begin.line > 0) {
            msg << ':' << node.source().begin.line;
        }
        msg << ": '" << key << "' " << what;
        throw ConfigError(msg.str());
    }

    std::string string(const toml::node &node, const std::string &key) const {
        auto v = node.value<std::string>();
        if (!node.is_string() || !v) {
            fail(node, key, "must be a string");
        }
        if (v->find('\0') != std::string::npos) {
            fail(node, key, "must not contain a NUL character");
        }
        return *v;
    }

    std::int64_t integer(const toml::node &node, const std::string &key, std::int64_t min,
                         std::int64_t max) const {
        if (!node.is_integer()) {
            fail(node, key, "must be an integer");
        }
        std::int64_t v = *node.value<std::int64_t>();
        if (v < min || v > max) {
            fail(node, key, "must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", not " + std::to_string(v));
        }
        return v;
    }

    double percent(const toml::node &node, const std::string &key) const {
        if (!node.is_number()) {
            fail(node, key, "must be a number (a percentage)");
        }
        double v = *node.value<double>();
        if (!(v >= 0 && v <= 100)) {
            fail(node, key, "must be a percentage between 0 and 100");
        }
        return v;
    }

    std::vector<std::string> strings(const toml::node &node, const std::string &key) const {
        const toml::array *arr = node.as_array();
        if (arr == nullptr) {
            fail(node, key, "must be an array of strings");
        }
        std::vector<std::string> out;
        for (const toml::node &item : *arr) {
            out.push_back(string(item, key));
        }
        return out;
    }

private:
    std::string origin_;
};

bool has_line_break(const std::string &s) {
    return s.find_first_of("\r\n") != std::string::npos;
}

void read_smtp(const Reader &r, const toml::node &node, SmtpConfig &smtp) {
    const toml::table *table = node.as_table();
    if (table == nullptr) {
        r.fail(node, "smtp", "must be a table ([smtp])");
    }
    for (const auto &[k, v] : *table) {
        std::string key = "smtp." + std::string(k.str());
        if (k == "host") {
            smtp.host = r.string(v, key);
            if (smtp.host.empty() || has_line_break(smtp.host)) {
                r.fail(v, key, "must be a host name");
            }
        } else if (k == "port") {
            smtp.port = static_cast<int>(r.integer(v, key, 1, 65535));
        } else if (k == "user") {
            smtp.user = r.string(v, key);
        } else if (k == "password_file") {
            smtp.password_file = r.string(v, key);
        } else if (k == "tls") {
            std::string mode = r.string(v, key);
            if (mode == "starttls") {
                smtp.tls = TlsMode::starttls;
            } else if (mode == "tls") {
                smtp.tls = TlsMode::tls;
            } else if (mode == "none") {
                smtp.tls = TlsMode::none;
            } else {
                r.fail(v, key, "must be \"starttls\", \"tls\" or \"none\", not \"" + mode + "\"");
            }
        } else if (k == "from") {
            smtp.from = r.string(v, key);
            if (has_line_break(smtp.from) || smtp.from.find('@') == std::string::npos) {
                r.fail(v, key, "must be one e-mail address");
            }
        } else if (k == "ca_file") {
            smtp.ca_file = r.string(v, key);
        } else if (k == "timeout_seconds") {
            smtp.timeout_seconds = static_cast<int>(r.integer(v, key, 1, 3600));
        } else {
            r.fail(v, key, "is not a known setting");
        }
    }
}

}  // namespace

Config parse_config(const std::string &text, const std::string &origin) {
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error &e) {
        std::ostringstream msg;
        msg << origin << ':' << e.source().begin.line << ':' << e.source().begin.column
            << ": " << e.description();
        throw ConfigError(msg.str());
    }

    Config c;
    c.source = origin;
    Reader r(origin);
    for (const auto &[k, v] : root) {
        std::string key(k.str());
        if (key == "database") {
            c.database = r.string(v, key);
        } else if (key == "warning_emails") {
            c.warning_emails = r.strings(v, key);
            for (const auto &address : c.warning_emails) {
                if (has_line_break(address) || address.find('@') == std::string::npos ||
                    address.find_first_of(" ,;<>") != std::string::npos) {
                    r.fail(v, key, "holds \"" + address + "\", which is not one e-mail address");
                }
            }
        } else if (key == "memory_threshold") {
            c.memory_threshold = r.percent(v, key);
        } else if (key == "disk_threshold") {
            c.disk_threshold = r.percent(v, key);
        } else if (key == "inode_threshold") {
            c.inode_threshold = r.percent(v, key);
        } else if (key == "swap_threshold") {
            c.swap_threshold = r.percent(v, key);
        } else if (key == "predict_hours") {
            c.predict_hours = r.integer(v, key, 0, max_predict_hours);
        } else if (key == "disk_paths") {
            c.disk_paths = r.strings(v, key);
        } else if (key == "max_log_count") {
            c.max_log_count = r.integer(v, key, 0, INT64_MAX);
        } else if (key == "max_audit_count") {
            c.max_audit_count = r.integer(v, key, 0, INT64_MAX);
        } else if (key == "max_age_days") {
            c.max_age_days = r.integer(v, key, 1, 36500);
        } else if (key == "max_audit_age_days") {
            c.max_audit_age_days = r.integer(v, key, 1, 36500);
        } else if (key == "batch_retention_days") {
            c.batch_retention_days = r.integer(v, key, 1, 36500);
        } else if (key == "quiet_time_minutes") {
            c.quiet_time_minutes = r.integer(v, key, 0, 60LL * 24 * 365);
        } else if (key == "host") {
            c.host = r.string(v, key);
            if (c.host->empty() || has_line_break(*c.host)) {
                r.fail(v, key, "must be a non-empty host name on one line");
            }
        } else if (key == "state_file") {
            c.state_file = r.string(v, key);
        } else if (key == "session_key_file") {
            c.session_key_file = r.string(v, key);
        } else if (key == "status_url") {
            c.status_url = r.string(v, key);
        } else if (key == "smtp") {
            read_smtp(r, v, c.smtp);
        } else {
            r.fail(v, key, "is not a known setting");
        }
    }
    return c;
}

Config load_config(const std::string &path, bool explicitly_named) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT && !explicitly_named) {
            return Config{};
        }
        throw ConfigError("cannot read " + path + ": " + std::strerror(err));
    }
    std::string text;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ConfigError("cannot read " + path + ": not a regular file");
    }
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = errno;
            ::close(fd);
            throw ConfigError("cannot read " + path + ": " + std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return parse_config(text, path);
}

}  // namespace trace_ctl
