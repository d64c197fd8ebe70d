#include "alerts/alert_state.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t quiet = day;
constexpr std::int64_t t0 = 1700000000;

Measurement memory_at(double percent, double threshold = 85) {
    return Measurement{"memory", "memory", "memory", percent, threshold, {}};
}

AlertAction decide_one(const Measurement &m, const AlertState &state, std::int64_t now) {
    auto d = decide_alerts({m}, state, now, quiet);
    EXPECT_EQ(d.size(), 1u);
    return d.empty() ? AlertAction::none : d[0].action;
}

// Runs one check and applies its outcome as if the mail went out.
AlertState after(const Measurement &m, const AlertState &state, std::int64_t now) {
    return state_after_mail(state, decide_alerts({m}, state, now, quiet), now);
}

}  // namespace

TEST(AlertState, UnderAndNeverReportedIsNothing) {
    EXPECT_EQ(decide_one(memory_at(10), {}, t0), AlertAction::none);
}

TEST(AlertState, CrossingWarnsThenStaysQuiet) {
    AlertState s;
    EXPECT_EQ(decide_one(memory_at(90), s, t0), AlertAction::warn);
    s = after(memory_at(90), s, t0);
    ASSERT_EQ(s.alerts.count("memory"), 1u);
    EXPECT_EQ(s.alerts["memory"].alerted_at, t0);
    EXPECT_TRUE(s.alerts["memory"].open);
    EXPECT_EQ(decide_one(memory_at(95), s, t0 + 60), AlertAction::stay_quiet);
    EXPECT_EQ(decide_one(memory_at(95), s, t0 + quiet - 1), AlertAction::stay_quiet);
}

TEST(AlertState, RemindsWhenTheQuietPeriodHasPassed) {
    AlertState s = after(memory_at(90), {}, t0);
    EXPECT_EQ(decide_one(memory_at(91), s, t0 + quiet), AlertAction::remind);
    AlertState s2 = after(memory_at(91), s, t0 + quiet);
    EXPECT_EQ(s2.alerts["memory"].since, t0) << "the episode keeps its start";
    EXPECT_EQ(s2.alerts["memory"].alerted_at, t0 + quiet) << "a new quiet period starts";
    EXPECT_DOUBLE_EQ(s2.alerts["memory"].percent, 91);
}

TEST(AlertState, ResolvesOnceEvenWithinTheQuietPeriod) {
    AlertState s = after(memory_at(90), {}, t0);
    EXPECT_EQ(decide_one(memory_at(40), s, t0 + 60), AlertAction::resolve);
    s = after(memory_at(40), s, t0 + 60);
    EXPECT_FALSE(s.alerts["memory"].open);
    EXPECT_EQ(decide_one(memory_at(40), s, t0 + 120), AlertAction::none) << "only one resolved mail";
}

TEST(AlertState, FlappingIsQuietUntilTheQuietPeriodHasPassed) {
    AlertState s = after(memory_at(90), {}, t0);
    s = after(memory_at(40), s, t0 + 60);  // resolved
    EXPECT_EQ(decide_one(memory_at(90), s, t0 + 120), AlertAction::stay_quiet);
    s = after(memory_at(90), s, t0 + 120);
    EXPECT_EQ(decide_one(memory_at(40), s, t0 + 180), AlertAction::none)
        << "no resolved mail for a crossing nobody was told about";
    EXPECT_EQ(decide_one(memory_at(90), s, t0 + quiet), AlertAction::warn);
}

TEST(AlertState, ForgetsResolvedResourcesAfterTheQuietPeriod) {
    AlertState s = after(memory_at(90), {}, t0);
    s = after(memory_at(40), s, t0 + 60);
    EXPECT_EQ(decide_one(memory_at(40), s, t0 + quiet + 1), AlertAction::forget);
    s = after(memory_at(40), s, t0 + quiet + 1);
    EXPECT_TRUE(s.alerts.empty());
}

TEST(AlertState, UnmeasuredKeepsWhatWeKnow) {
    AlertState s = after(memory_at(90), {}, t0);
    Measurement broken = memory_at(0);
    broken.error = "cannot read /proc/meminfo";
    EXPECT_EQ(decide_one(broken, s, t0 + 10 * quiet), AlertAction::keep);
    AlertState s2 = after(broken, s, t0 + 10 * quiet);
    EXPECT_EQ(s2.alerts["memory"].alerted_at, t0);
    EXPECT_TRUE(s2.alerts["memory"].open);
}

TEST(AlertState, AClockThatWentBackEndsTheQuietPeriod) {
    AlertState s = after(memory_at(90), {}, t0);
    EXPECT_EQ(decide_one(memory_at(90), s, t0 - 3600), AlertAction::remind);
}

TEST(AlertState, ZeroQuietTimeMailsEveryRun) {
    AlertState s = state_after_mail({}, decide_alerts({memory_at(90)}, {}, t0, 0), t0);
    EXPECT_EQ(decide_alerts({memory_at(90)}, s, t0, 0)[0].action, AlertAction::remind);
}

TEST(AlertState, ResourcesAreIndependent) {
    Measurement disk{"space:/var", "/var", "disk space on /var", 97, 85, {}};
    AlertState s = state_after_mail({}, decide_alerts({memory_at(90), disk}, {}, t0, quiet), t0);
    disk.percent = 10;
    auto d = decide_alerts({memory_at(90), disk}, s, t0 + 60, quiet);
    EXPECT_EQ(d[0].action, AlertAction::stay_quiet);
    EXPECT_EQ(d[1].action, AlertAction::resolve);
    EXPECT_TRUE(needs_mail(d));
    EXPECT_FALSE(needs_mail({d[0]}));
}

TEST(AlertState, JsonRoundTrip) {
    AlertState s;
    s.alerts["space:/var/my disk"] = AlertRecord{t0, t0 + 5, 97.5, 85, true};
    s.alerts["memory"] = AlertRecord{t0 - day, t0, 90, 80.5, false};
    AlertState back = parse_alert_state(serialize_alert_state(s));
    ASSERT_EQ(back.alerts.size(), 2u);
    const AlertRecord &r = back.alerts["space:/var/my disk"];
    EXPECT_EQ(r.since, t0);
    EXPECT_EQ(r.alerted_at, t0 + 5);
    EXPECT_DOUBLE_EQ(r.percent, 97.5);
    EXPECT_DOUBLE_EQ(r.threshold, 85);
    EXPECT_TRUE(r.open);
    EXPECT_FALSE(back.alerts["memory"].open);
    EXPECT_DOUBLE_EQ(back.alerts["memory"].threshold, 80.5);
}

TEST(AlertState, RejectsWhatIsNotAStateFile) {
    for (const char *bad : {"", "{not json", "[]", "{\"version\": 3, \"alerts\": {}}",
                            "{\"version\": 0, \"alerts\": {}}", "{\"alerts\": {}}",
                            "{\"version\": 2, \"alerts\": {}, \"samples\": []}",
                            "{\"version\": 2, \"alerts\": {}, \"samples\": {\"/\": {\"size\": 1}}}",
                            "{\"version\": 2, \"alerts\": {}, \"samples\": {\"/\": "
                            "{\"size\": 1, \"points\": [[1, 2]]}}}",
                            "{\"version\": 1}", "{\"version\": 1, \"alerts\": []}",
                            "{\"version\": 1, \"alerts\": {\"memory\": {\"since\": \"x\"}}}"}) {
        EXPECT_THROW(parse_alert_state(bad), StateFormatError) << bad;
    }
    EXPECT_TRUE(parse_alert_state("{\"version\": 1, \"alerts\": {}}").alerts.empty());
}

TEST(AlertState, ReadsVersionOneWithItsQuietPeriods) {
    // A state file written before the trend: its open warning and quiet
    // period survive the upgrade.
    AlertState s = parse_alert_state(
        "{\n  \"alerts\": {\n    \"memory\": {\n      \"alerted_at\": 1700000000,\n"
        "      \"open\": true,\n      \"percent\": 91.5,\n      \"since\": 1699990000,\n"
        "      \"threshold\": 85.0\n    }\n  },\n  \"version\": 1\n}\n");
    ASSERT_EQ(s.alerts.count("memory"), 1u);
    EXPECT_TRUE(s.samples.empty());
    EXPECT_EQ(s.alerts["memory"].since, 1699990000);
    EXPECT_EQ(decide_one(memory_at(95), s, t0 + 60), AlertAction::stay_quiet);
    std::string v2 = serialize_alert_state(s);
    EXPECT_NE(v2.find("\"version\":2"), std::string::npos) << v2;
    AlertState back = parse_alert_state(v2);
    EXPECT_EQ(back.alerts["memory"].alerted_at, t0);
    EXPECT_TRUE(back.alerts["memory"].open);
}

TEST(AlertState, SamplesAndPredictionsRoundTrip) {
    AlertState s;
    s.samples["/var"] = SampleSeries{1u << 30, {{t0, 100, 200}, {t0 + 300, 150, 150}}};
    s.samples["/srv/\xffodd"] = SampleSeries{7, {{t0, 1, 6}}};
    AlertRecord trend{t0, t0, 72, 85, true};
    trend.seconds_to_full = 10800;
    s.alerts["trend:/var"] = trend;
    AlertState back = parse_alert_state(serialize_alert_state(s));
    ASSERT_EQ(back.samples.count("/var"), 1u);
    EXPECT_EQ(back.samples["/var"].size, 1u << 30);
    ASSERT_EQ(back.samples["/var"].samples.size(), 2u);
    EXPECT_EQ(back.samples["/var"].samples[1].time, t0 + 300);
    EXPECT_EQ(back.samples["/var"].samples[1].used, 150u);
    EXPECT_EQ(back.samples["/var"].samples[1].available, 150u);
    EXPECT_EQ(back.samples.size(), 2u) << "a path that is not UTF-8 does not break the file";
    ASSERT_TRUE(back.alerts["trend:/var"].seconds_to_full);
    EXPECT_DOUBLE_EQ(*back.alerts["trend:/var"].seconds_to_full, 10800);
    EXPECT_FALSE(back.alerts.count("memory"));
}

namespace {

TrendCheck trend_of(bool evaluated, bool warns, double seconds = 7200) {
    TrendCheck c{Measurement{"trend:/var", "/var", "disk space on /var", 75, 85, {}}, {}};
    c.forecast.evaluated = evaluated;
    c.forecast.warns = warns;
    if (warns) {
        c.forecast.seconds_to_full = seconds;
    }
    c.forecast.horizon_seconds = day;
    return c;
}

AlertState after_trend(const TrendCheck &c, const AlertState &state, std::int64_t now) {
    return state_after_mail(state, decide_trend_alerts({c}, state, now, quiet), now);
}

}  // namespace

TEST(AlertState, TrendWarnsStaysQuietAndResolves) {
    AlertState s;
    auto d = decide_trend_alerts({trend_of(true, true)}, s, t0, quiet);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].action, AlertAction::warn);
    ASSERT_TRUE(d[0].forecast);
    s = after_trend(trend_of(true, true), s, t0);
    ASSERT_TRUE(s.alerts["trend:/var"].seconds_to_full);
    EXPECT_DOUBLE_EQ(*s.alerts["trend:/var"].seconds_to_full, 7200);
    EXPECT_EQ(decide_trend_alerts({trend_of(true, true, 3600)}, s, t0 + 300, quiet)[0].action,
              AlertAction::stay_quiet);
    EXPECT_EQ(decide_trend_alerts({trend_of(true, true)}, s, t0 + quiet, quiet)[0].action,
              AlertAction::remind);
    EXPECT_EQ(decide_trend_alerts({trend_of(true, false)}, s, t0 + 600, quiet)[0].action,
              AlertAction::resolve);
    s = after_trend(trend_of(true, false), s, t0 + 600);
    EXPECT_FALSE(s.alerts["trend:/var"].open);
    EXPECT_EQ(decide_trend_alerts({trend_of(true, false)}, s, t0 + 900, quiet)[0].action,
              AlertAction::none);
}

TEST(AlertState, TrendWithoutAForecastKeepsItsRecord) {
    AlertState s = after_trend(trend_of(true, true), {}, t0);
    // The filesystem was replaced: its samples start afresh, nothing to say yet.
    EXPECT_EQ(decide_trend_alerts({trend_of(false, false)}, s, t0 + 2 * quiet, quiet)[0].action,
              AlertAction::keep);
    AlertState s2 = after_trend(trend_of(false, false), s, t0 + 2 * quiet);
    EXPECT_TRUE(s2.alerts["trend:/var"].open);
}

TEST(AlertState, TrendAndThresholdHaveTheirOwnQuietPeriods) {
    Measurement space{"space:/var", "/var", "disk space on /var", 90, 85, {}};
    AlertState s = after_trend(trend_of(true, true), {}, t0);
    EXPECT_EQ(decide_one(space, s, t0 + 60), AlertAction::warn)
        << "a prediction does not silence the threshold";
}
