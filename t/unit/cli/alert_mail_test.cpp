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

namespace {

AlertDecision trend(AlertAction action, double seconds_to_full) {
    AlertDecision d = decision("trend:/var", "disk space on /var", 72.3, 85, action);
    d.measurement.label = "/var";
    d.measurement.bytes = SpaceBytes{100u << 20, 72u << 20, 28u << 20};
    Forecast f;
    f.evaluated = true;
    f.samples = 13;
    f.span_seconds = 3 * 3600;
    f.slope = -(9.0 * (1 << 20)) / 3600;
    if (seconds_to_full > 0) {
        f.seconds_to_full = seconds_to_full;
        f.warns = seconds_to_full < 86400;
    }
    f.horizon_seconds = 86400;
    d.forecast = f;
    return d;
}

}  // namespace

TEST(AlertMail, FillingUpSaysWhenAndHow) {
    auto mail = compose_alert_mail(
        "web-1.example.org",
        {decision("space:/var", "disk space on /var", 72.3, 85, AlertAction::none),
         trend(AlertAction::warn, 3 * 3600 + 300)},
        1700000000, 1440);
    EXPECT_EQ(mail.subject, "[nginx-trace] web-1.example.org: /var will be full in about 3 h");
    EXPECT_NE(mail.body.find("Host: web-1.example.org\n"), std::string::npos);
    EXPECT_NE(mail.body.find("Filling up:\n  /var will be full in about 3 h at its current rate\n"
                             "    72.3% used, 28 MiB available; available space falling by "
                             "9.0 MiB/h over the last 3.0 h (13 samples)\n"),
              std::string::npos)
        << mail.body;
    EXPECT_NE(mail.body.find("  disk space on /var: 72.3% used, threshold 85%\n"), std::string::npos)
        << "the measurements are listed once";
    EXPECT_EQ(mail.body.find("disk space on /var: 72.3% used, threshold 85%\n  disk space on /var"),
              std::string::npos);
    EXPECT_NE(mail.body.find("can fool it"), std::string::npos);
    EXPECT_EQ(mail.body.find("Over threshold"), std::string::npos);
}

TEST(AlertMail, NoLongerPredictedFull) {
    auto mail = compose_alert_mail("h", {trend(AlertAction::resolve, 0)}, 1700000000, 60);
    EXPECT_EQ(mail.subject, "[nginx-trace] h: resolved: /var no longer predicted full");
    EXPECT_NE(mail.body.find("No longer predicted full:\n  /var is no longer predicted to be full "
                             "within 24 h: 72.3% used, not filling up\n"),
              std::string::npos)
        << mail.body;
    EXPECT_EQ(mail.body.find("Back under threshold"), std::string::npos);
}

TEST(AlertMail, ThresholdAndPredictionTogether) {
    auto mail = compose_alert_mail(
        "h", {decision("memory", "memory", 90, 85, AlertAction::warn), trend(AlertAction::remind, 7200)},
        1700000000, 60);
    EXPECT_EQ(mail.subject, "[nginx-trace] h: memory at 90.0% (threshold 85%); /var will be full in about 2 h");
    EXPECT_NE(mail.body.find("predicted to fill up since "), std::string::npos);
}

TEST(AlertMail, NoLongerPredictedFullBecauseUnderSixtyPercent) {
    AlertDecision d = trend(AlertAction::resolve, 7200);
    d.measurement.percent = 59.4;
    d.forecast->warns = false;
    d.forecast->min_percent_used = 60;
    auto mail = compose_alert_mail("h", {d}, 1700000000, 60);
    EXPECT_NE(mail.body.find("/var is no longer predicted to be full within 24 h: 59.4% used, "
                             "not over 60% used (full in about 2 h at the current rate)\n"),
              std::string::npos)
        << mail.body;
}
