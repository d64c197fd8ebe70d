#include "schema/migrations.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

TEST(Migrations, EmbeddedFilesParseInOrder) {
    auto ms = parse_migrations(embedded_sql_files());
    ASSERT_FALSE(ms.empty());
    EXPECT_EQ(ms[0].version, 0);
    EXPECT_EQ(ms[0].name, "schema_migrations");
    EXPECT_EQ(ms[1].version, 1);
    EXPECT_EQ(ms[1].name, "init");
    for (size_t i = 1; i < ms.size(); ++i) {
        EXPECT_LT(ms[i - 1].version, ms[i].version);
    }
    EXPECT_NE(ms[1].sql.find("CREATE TABLE trace.requests"), std::string::npos);
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

// 0000 (the ledger) came after databases that trace-ctl had given the ledger
// itself: pending below the newest applied is fine for it, for no other.
TEST(Migrations, PlanRecordsTheLedgerLate) {
    auto ms = parse_migrations({{"0000_l.sql", "l"}, {"0001_a.sql", "a"}, {"0002_b.sql", "b"}});
    auto plan = plan_migrations(ms, {{1, "a", sha256_hex("a"), ""}, {2, "b", sha256_hex("b"), ""}});
    EXPECT_TRUE(plan.problems.empty());
    ASSERT_EQ(plan.pending.size(), 1u);
    EXPECT_EQ(plan.pending[0].version, 0);
    plan = plan_migrations(ms, {{0, "l", sha256_hex("l"), ""}, {2, "b", sha256_hex("b"), ""}});
    ASSERT_EQ(plan.problems.size(), 1u);
    EXPECT_NE(plan.problems[0].find("0001_a.sql was never applied"), std::string::npos);
}

// 0005 records the files before it, as psql applied them, with their
// checksums: each must be the shipped file's.
TEST(Migrations, RecordedChecksumsAreTheFiles) {
    auto ms = parse_migrations(embedded_sql_files());
    const Migration *record = nullptr;
    for (const Migration &m : ms) {
        if (m.name == "record_applied") {
            record = &m;
        }
    }
    ASSERT_NE(record, nullptr);
    int recorded = 0;
    for (const Migration &m : ms) {
        if (m.version >= record->version) {
            continue;
        }
        std::string row = "(" + std::to_string(m.version) + ", '" + m.name + "', '" + m.checksum + "')";
        EXPECT_NE(record->sql.find(row), std::string::npos) << m.file_name << ": " << row;
        ++recorded;
    }
    EXPECT_EQ(recorded, record->version);
}
