#include "status/status_report.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

StatusReport healthy_report() {
    StatusReport r;
    r.database_reachable = true;
    r.server_version = "15.6";
    r.database = "trace";
    r.user = "reader";
    r.schema_exists = true;
    r.schema_version = 2;
    r.schema_name = "reading_indexes";
    TableReport t;
    t.name = "trace.requests";
    t.exists = true;
    t.rows = 1234;
    t.oldest = 1714564800LL * 1000000;
    t.newest = 1714564800LL * 1000000;
    t.newest_age_seconds = 7200;
    r.tables.push_back(t);
    return r;
}

}  // namespace

TEST(StatusReport, HealthyNeedsEveryPart) {
    StatusReport r = healthy_report();
    EXPECT_TRUE(r.healthy());
    r.pending = {"0003_next"};
    EXPECT_FALSE(r.healthy());
    r = healthy_report();
    r.module_url = "http://127.0.0.1:1/status";
    EXPECT_FALSE(r.healthy());  // configured and not reachable
    r.module_reachable = true;
    EXPECT_TRUE(r.healthy());
    r = healthy_report();
    r.database_error = "permission denied for table requests";
    EXPECT_FALSE(r.healthy());
    r = healthy_report();
    r.database_reachable = false;
    EXPECT_FALSE(r.healthy());
}

TEST(StatusReport, TextNamesCountsAgesAndPending) {
    StatusReport r = healthy_report();
    r.pending = {"0002_reading_indexes", "0003_x"};
    std::string text = status_text(r);
    EXPECT_NE(text.find("1234 rows"), std::string::npos) << text;
    EXPECT_NE(text.find("(2 h ago)"), std::string::npos) << text;
    EXPECT_NE(text.find("2 pending migrations (trace-ctl migrate applies them)"), std::string::npos)
        << text;
}

TEST(StatusReport, UnreachablePartsAreSaidAndEscaped) {
    StatusReport r;
    r.database_error = "cannot connect to PostgreSQL: \x1b[31mrefused";
    r.module_url = "http://127.0.0.1:1/s";
    r.module_error = "cannot connect to 127.0.0.1:1: Connection refused";
    std::string text = status_text(r);
    EXPECT_NE(
        text.find("database        UNREACHABLE: cannot connect to PostgreSQL: \\x1b[31mrefused"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("module          http://127.0.0.1:1/s: UNREACHABLE: "), std::string::npos)
        << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(StatusReport, JsonCarriesEverything) {
    StatusReport r = healthy_report();
    r.module_url = "http://x/s";
    r.module_reachable = true;
    r.module = read_module_counters(R"({"workers":[{"pid":1,"sent":3}]})");
    nlohmann::ordered_json j = status_json(r);
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["schema"]["version"], 2);
    EXPECT_TRUE(j["schema"]["pending"].empty());
    EXPECT_EQ(j["tables"][0]["rows"], 1234);
    EXPECT_EQ(j["tables"][0]["newest"], "2024-05-01T12:00:00.000000Z");
    EXPECT_TRUE(j["tables"][0]["max_id"].is_null());
    EXPECT_EQ(j["module"]["totals"]["sent"], 3);
    EXPECT_EQ(j["database"]["error"], nullptr);
}
