#include "schema/migrations.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

TEST(Migrations, EmbeddedFilesParseInOrder) {
    auto ms = parse_migrations(embedded_sql_files());
    ASSERT_FALSE(ms.empty());
    EXPECT_EQ(ms[0].version, 1);
    EXPECT_EQ(ms[0].name, "init");
    for (size_t i = 1; i < ms.size(); ++i) {
        EXPECT_LT(ms[i - 1].version, ms[i].version);
    }
    EXPECT_NE(ms[0].sql.find("CREATE TABLE trace.requests"), std::string::npos);
}

TEST(Migrations, RejectsBadNamesAndDuplicateVersions) {
    EXPECT_THROW(parse_migrations({{"init.sql", "x"}}), MigrationError);
    EXPECT_THROW(parse_migrations({{"0001_init.txt", "x"}}), MigrationError);
    EXPECT_THROW(parse_migrations({{"0001_.sql", "x"}}), MigrationError);
    EXPECT_THROW(parse_migrations({{"0001_a.sql", "x"}, {"1_b.sql", "y"}}), MigrationError);
}

TEST(Migrations, ChecksumIsSha256) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Migrations, PlanListsPendingInOrder) {
    auto ms = parse_migrations({{"0002_b.sql", "b"}, {"0001_a.sql", "a"}, {"0003_c.sql", "c"}});
    auto plan = plan_migrations(ms, {{1, "a", sha256_hex("a"), ""}});
    EXPECT_TRUE(plan.problems.empty());
    ASSERT_EQ(plan.pending.size(), 2u);
    EXPECT_EQ(plan.pending[0].version, 2);
    EXPECT_EQ(plan.pending[1].version, 3);
}

TEST(Migrations, PlanRefusesAChangedFile) {
    auto ms = parse_migrations({{"0001_a.sql", "a changed"}});
    auto plan = plan_migrations(ms, {{1, "a", sha256_hex("a"), ""}});
    ASSERT_EQ(plan.problems.size(), 1u);
    EXPECT_NE(plan.problems[0].find("0001_a.sql"), std::string::npos);
}

TEST(Migrations, PlanRefusesUnknownAndOutOfOrder) {
    auto ms = parse_migrations({{"0001_a.sql", "a"}, {"0002_b.sql", "b"}});
    auto unknown = plan_migrations(ms, {{7, "x", "00", ""}});
    EXPECT_FALSE(unknown.problems.empty());
    auto gap = plan_migrations(ms, {{2, "b", sha256_hex("b"), ""}});
    EXPECT_FALSE(gap.problems.empty());
}
