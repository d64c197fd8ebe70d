#include "alerts/alert_mail.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

AlertDecision decision(const std::string &key, const std::string &description, double percent,
                       double threshold, AlertAction action) {
    AlertDecision d;
    d.measurement = Measurement{key, key, description, percent, threshold, {}};
    d.action = action;
    d.previous = AlertRecord{1700000000, 1700000000, 90, threshold, true};
    return d;
}

}  // namespace

TEST(AlertMail, OneResourceNamesHostResourceValueAndThreshold) {
    auto mail = compose_alert_mail(
        "web-1.example.org",
        {decision("memory", "memory", 12, 85, AlertAction::none),
         decision("space:/var", "disk space on /var", 97, 85, AlertAction::warn)},
        1700000000, 1440);
    EXPECT_EQ(mail.subject, "[nginx-trace] web-1.example.org: disk space on /var at 97.0% (threshold 85%)");
    EXPECT_NE(mail.body.find("Host: web-1.example.org\n"), std::string::npos);
    EXPECT_NE(mail.body.find("Over threshold:\n  disk space on /var: 97.0% used, threshold 85%\n"),
              std::string::npos);
    EXPECT_NE(mail.body.find("  memory: 12.0% used, threshold 85%\n"), std::string::npos)
        << "all measurements are listed";
    EXPECT_NE(mail.body.find("for 1440 minutes"), std::string::npos);
    EXPECT_EQ(mail.body.find("Back under threshold"), std::string::npos);
}

TEST(AlertMail, ResolvedAndReminded) {
    auto mail = compose_alert_mail(
        "h", {decision("memory", "memory", 40, 85, AlertAction::resolve),
              decision("inodes:/", "inodes on /", 99, 90, AlertAction::remind)},
        1700000000, 60);
    EXPECT_EQ(mail.subject,
              "[nginx-trace] h: resolved: memory at 40.0% (threshold 85%); inodes on / at 99.0% "
              "(threshold 90%)");
    EXPECT_NE(mail.body.find("Back under threshold:\n  memory: 40.0% used, threshold 85%\n"),
              std::string::npos);
    EXPECT_NE(mail.body.find("still over since "), std::string::npos);
}

TEST(AlertMail, ManyResourcesMakeACountedSubject) {
    std::vector<AlertDecision> d;
    for (int i = 0; i < 4; ++i) {
        d.push_back(decision("space:/d" + std::to_string(i), "disk space on /d" + std::to_string(i),
                             99, 85, AlertAction::warn));
    }
    d.push_back(decision("memory", "memory", 10, 85, AlertAction::resolve));
    auto mail = compose_alert_mail("h", d, 1700000000, 60);
    EXPECT_EQ(mail.subject, "[nginx-trace] h: 4 resources over their threshold, 1 resolved");
    for (int i = 0; i < 4; ++i) {
        EXPECT_NE(mail.body.find("disk space on /d" + std::to_string(i) + ": 99.0% used"),
                  std::string::npos);
    }
}

TEST(AlertMail, UnmeasuredResourcesSayWhy) {
    AlertDecision broken = decision("space:/data", "disk space on /data", 0, 85, AlertAction::keep);
    broken.measurement.error = "Permission denied";
    auto mail = compose_alert_mail(
        "h", {decision("memory", "memory", 90, 85, AlertAction::warn), broken}, 1700000000, 60);
    EXPECT_NE(mail.body.find("  disk space on /data: not measured: Permission denied\n"),
              std::string::npos);
}
