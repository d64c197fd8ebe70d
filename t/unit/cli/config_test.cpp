#include "app/config.hpp"

#include <gtest/gtest.h>

using trace_ctl::Config;
using trace_ctl::ConfigError;
using trace_ctl::parse_config;
using trace_ctl::TlsMode;

namespace {

std::string error_of(const std::string &text) {
    try {
        parse_config(text, "trace.toml");
    } catch (const ConfigError &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Config, DefaultsKeepTheOldSettings) {
    Config c = parse_config("", "trace.toml");
    EXPECT_EQ(c.memory_threshold, 85);
    EXPECT_EQ(c.disk_threshold, 85);
    EXPECT_FALSE(c.inode_threshold.has_value());
    EXPECT_FALSE(c.swap_threshold.has_value());
    EXPECT_EQ(c.predict_hours, 24);
    EXPECT_EQ(c.max_log_count, 10000);
    EXPECT_FALSE(c.max_audit_count.has_value());
    EXPECT_EQ(c.quiet_time_minutes, 1440);
    EXPECT_FALSE(c.database.has_value());
    EXPECT_EQ(c.smtp.tls, TlsMode::starttls);
    EXPECT_EQ(c.smtp.effective_port(), 587);
}

TEST(Config, ReadsEveryKey) {
    Config c = parse_config(R"(
database = "host=/run/postgresql dbname=trace"
warning_emails = ["ops@example.org", "root@example.org"]
memory_threshold = 90
disk_threshold = 80.5
inode_threshold = 70
swap_threshold = 50
predict_hours = 0
disk_paths = ["/", "/var"]
max_log_count = 5000
max_audit_count = 100000
quiet_time_minutes = 60
host = "web-1"
state_file = "/tmp/state.json"
session_key_file = "/etc/nginx/trace.key"
status_url = "http://127.0.0.1/trace_status"

[smtp]
host = "mail.example.org"
port = 2525
user = "alerts"
password_file = "/etc/nginx/smtp.pass"
tls = "tls"
from = "nginx@example.org"
)",
                            "trace.toml");
    EXPECT_EQ(*c.database, "host=/run/postgresql dbname=trace");
    ASSERT_EQ(c.warning_emails.size(), 2u);
    EXPECT_EQ(c.warning_emails[1], "root@example.org");
    EXPECT_EQ(c.memory_threshold, 90);
    EXPECT_DOUBLE_EQ(c.disk_threshold, 80.5);
    EXPECT_EQ(*c.inode_threshold, 70);
    EXPECT_EQ(*c.swap_threshold, 50);
    EXPECT_EQ(c.predict_hours, 0);
    EXPECT_EQ(c.disk_paths.size(), 2u);
    EXPECT_EQ(c.max_log_count, 5000);
    EXPECT_EQ(*c.max_audit_count, 100000);
    EXPECT_EQ(c.quiet_time_minutes, 60);
    EXPECT_EQ(*c.host, "web-1");
    EXPECT_EQ(c.smtp.host, "mail.example.org");
    EXPECT_EQ(c.smtp.effective_port(), 2525);
    EXPECT_EQ(c.smtp.tls, TlsMode::tls);
    EXPECT_EQ(c.smtp.from, "nginx@example.org");
}

TEST(Config, ImplicitTlsDefaultsToPort465) {
    EXPECT_EQ(parse_config("[smtp]\ntls = \"tls\"\n", "x").smtp.effective_port(), 465);
    EXPECT_EQ(parse_config("[smtp]\ntls = \"none\"\n", "x").smtp.effective_port(), 25);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
    EXPECT_EQ(error_of("host = \"a\"\nmax_log_cuont = 3\n"),
              "trace.toml:2: 'max_log_cuont' is not a known setting");
    EXPECT_EQ(error_of("[smtp]\nhots = \"x\"\n"), "trace.toml:2: 'smtp.hots' is not a known setting");
}

TEST(Config, WrongTypeNamesKeyAndLine) {
    EXPECT_EQ(error_of("\n\nmax_log_count = \"many\"\n"),
              "trace.toml:3: 'max_log_count' must be an integer");
    EXPECT_EQ(error_of("memory_threshold = 120\n"),
              "trace.toml:1: 'memory_threshold' must be a percentage between 0 and 100");
    EXPECT_EQ(error_of("warning_emails = \"ops@example.org\"\n"),
              "trace.toml:1: 'warning_emails' must be an array of strings");
    EXPECT_EQ(error_of("[smtp]\ntls = \"ssl\"\n"),
              "trace.toml:2: 'smtp.tls' must be \"starttls\", \"tls\" or \"none\", not \"ssl\"");
    EXPECT_EQ(error_of("swap_threshold = -5\n"),
              "trace.toml:1: 'swap_threshold' must be a percentage between 0 and 100");
    EXPECT_EQ(error_of("predict_hours = 9000\n"),
              "trace.toml:1: 'predict_hours' must be between 0 and 8760, not 9000");
    EXPECT_EQ(error_of("predict_hours = 1.5\n"), "trace.toml:1: 'predict_hours' must be an integer");
    EXPECT_EQ(error_of("max_log_count = -1\n"),
              "trace.toml:1: 'max_log_count' must be between 0 and 9223372036854775807, not -1");
}

TEST(Config, RefusesHeaderInjectionInAddresses) {
    EXPECT_NE(error_of("warning_emails = [\"a@b.c\\r\\nBcc: x@y.z\"]\n"), "");
    EXPECT_NE(error_of("warning_emails = [\"not-an-address\"]\n"), "");
    EXPECT_NE(error_of("[smtp]\nfrom = \"a@b.c\\nX: y\"\n"), "");
}

TEST(Config, SyntaxErrorHasLineAndColumn) {
    std::string e = error_of("host = \"a\"\nmemory_threshold = \n");
    EXPECT_EQ(e.rfind("trace.toml:2:", 0), 0u) << e;
}

TEST(Config, MissingDefaultFileMeansDefaults) {
    Config c = trace_ctl::load_config("/nonexistent/trace.toml", false);
    EXPECT_EQ(c.max_log_count, 10000);
    EXPECT_THROW(trace_ctl::load_config("/nonexistent/trace.toml", true), ConfigError);
    EXPECT_THROW(trace_ctl::load_config("/", true), ConfigError);
}

TEST(Config, AgeLimitsAreDaysAndUnsetByDefault) {
    Config none = parse_config("", "trace.toml");
    EXPECT_FALSE(none.max_age_days.has_value());
    EXPECT_FALSE(none.max_audit_age_days.has_value());
    Config c = parse_config("max_age_days = 30\nmax_audit_age_days = 365\n", "trace.toml");
    EXPECT_EQ(c.max_age_days, 30);
    EXPECT_EQ(c.max_audit_age_days, 365);
    EXPECT_NE(error_of("max_age_days = 0\n").find("max_age_days"), std::string::npos);
    EXPECT_NE(error_of("max_audit_age_days = 36501\n").find("max_audit_age_days"), std::string::npos);
    EXPECT_NE(error_of("max_age_days = \"30d\"\n").find("max_age_days"), std::string::npos);
}
