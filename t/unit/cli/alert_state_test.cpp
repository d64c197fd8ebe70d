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
    for (const char *bad : {"", "{not json", "[]", "{\"version\": 2, \"alerts\": {}}",
                            "{\"version\": 1}", "{\"version\": 1, \"alerts\": []}",
                            "{\"version\": 1, \"alerts\": {\"memory\": {\"since\": \"x\"}}}"}) {
        EXPECT_THROW(parse_alert_state(bad), StateFormatError) << bad;
    }
    EXPECT_TRUE(parse_alert_state("{\"version\": 1, \"alerts\": {}}").alerts.empty());
}
