#include "status/module_status.hpp"
#include "zone_guard.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

TEST(ModuleCounters, SumsNumericKeysButNotPid) {
    ModuleCounters c = read_module_counters(R"({"workers":[
        {"pid":101,"queued":2,"sent":10,"spool_bytes":0,"last_error":"db down"},
        {"pid":102,"queued":0,"sent":5,"spool_bytes":4096,"last_error":"","ratio":0.5},
        {"pid":103,"sent":1,"ratio":0.25}]})");
    ASSERT_EQ(c.workers.size(), 3u);
    EXPECT_EQ(c.workers[0]["last_error"], "db down");
    EXPECT_FALSE(c.totals.contains("pid"));
    EXPECT_FALSE(c.totals.contains("last_error"));
    EXPECT_EQ(c.totals["queued"], 2);
    EXPECT_EQ(c.totals["sent"], 16);
    EXPECT_EQ(c.totals["spool_bytes"], 4096);
    EXPECT_DOUBLE_EQ(c.totals["ratio"].get<double>(), 0.75);
    // keys keep the module's order
    EXPECT_EQ(counters_line(c.totals), "queued=2 sent=16 spool_bytes=4096 ratio=0.75");
}

TEST(ModuleCounters, NoWorkersIsFine) {
    ModuleCounters c = read_module_counters(R"({"workers":[]})");
    EXPECT_TRUE(c.workers.empty());
    EXPECT_TRUE(c.totals.empty());
}

TEST(ModuleCounters, RefusesWhatIsNotTheStatusDocument) {
    EXPECT_THROW(read_module_counters("<html>502 Bad Gateway</html>"), ModuleStatusError);
    EXPECT_THROW(read_module_counters(R"({"workers":{}})"), ModuleStatusError);
    EXPECT_THROW(read_module_counters(R"([1,2])"), ModuleStatusError);
    EXPECT_THROW(read_module_counters(R"({"workers":[1]})"), ModuleStatusError);
}

TEST(ModuleCounters, LineShowsStringsSafely) {
    nlohmann::ordered_json worker = {{"pid", 7}, {"last_error", "bad \x1b[2J \"x\""}};
    EXPECT_EQ(counters_line(worker), "pid=7 last_error=\"bad \\x1b[2J \"x\"\"");
}

TEST(ModuleCounters, LineShowsTimesForPeopleAndNeverForZero) {
    ZoneGuard utc("UTC");
    nlohmann::ordered_json worker = {
        {"pid", 7}, {"started", 1714572187}, {"sent_rows", 3}, {"last_error_time", 0}};
    EXPECT_EQ(counters_line(worker),
              "pid=7 started=\"2024-05-01 14:03:07\" sent_rows=3 last_error_time=never");
    ModuleCounters c = read_module_counters(
        R"({"workers":[{"pid":1,"started":1714572187,"last_error_time":1714572190,"sent_rows":2}]})");
    EXPECT_FALSE(c.totals.contains("started"));
    EXPECT_FALSE(c.totals.contains("last_error_time"));
    EXPECT_EQ(counters_line(c.workers[0]),
              "pid=1 started=\"2024-05-01 14:03:07\" last_error_time=\"2024-05-01 14:03:10\" "
              "sent_rows=2");
}
