#include "schema/migrations.hpp"
#include "schema/sql_statements.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;
using Statements = std::vector<std::string>;

TEST(SqlStatements, SplitsAtTopLevelSemicolons) {
    EXPECT_EQ(split_sql_statements("SELECT 1; SELECT 2;\nSELECT 3"),
              (Statements{"SELECT 1", "SELECT 2", "SELECT 3"}));
    EXPECT_EQ(split_sql_statements(""), Statements{});
    EXPECT_EQ(split_sql_statements(" ;; \n;"), Statements{});
}

TEST(SqlStatements, CommentsAloneAreNoStatement) {
    EXPECT_EQ(split_sql_statements("-- a; b\nSELECT 1; -- c; d\n/* e; f */"),
              (Statements{"-- a; b\nSELECT 1"}));
    EXPECT_EQ(split_sql_statements("/* a /* nested; */ still; */ SELECT 1;"),
              (Statements{"/* a /* nested; */ still; */ SELECT 1"}));
}

TEST(SqlStatements, QuotesHideSemicolons) {
    EXPECT_EQ(split_sql_statements("SELECT 'a;''b'; SELECT \"x;\"\"y\""),
              (Statements{"SELECT 'a;''b'", "SELECT \"x;\"\"y\""}));
    EXPECT_EQ(split_sql_statements("SELECT E'\\';'; SELECT 2"),
              (Statements{"SELECT E'\\';'", "SELECT 2"}));
    // Outside E'...', a backslash is an ordinary character.
    EXPECT_EQ(split_sql_statements("SELECT '\\'; SELECT 2"),
              (Statements{"SELECT '\\'", "SELECT 2"}));
    // A comment marker inside a string is text.
    EXPECT_EQ(split_sql_statements("SELECT '--'; SELECT '/*'; SELECT 3"),
              (Statements{"SELECT '--'", "SELECT '/*'", "SELECT 3"}));
}

TEST(SqlStatements, DollarQuotedBodiesAreOnePiece) {
    const char *sql = "DO $$ BEGIN PERFORM 1; END $$;\n"
                      "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT $$;$$; $fn$ LANGUAGE sql;\n"
                      "PREPARE p AS SELECT $1; SELECT a$b FROM t";
    EXPECT_EQ(split_sql_statements(sql),
              (Statements{"DO $$ BEGIN PERFORM 1; END $$",
                          "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT $$;$$; $fn$ LANGUAGE sql",
                          "PREPARE p AS SELECT $1", "SELECT a$b FROM t"}));
}

TEST(SqlStatements, UnclosedQuotesAndCommentsNameTheirLine) {
    for (const char *sql : {"SELECT 1;\nSELECT 'x", "SELECT 1;\n/* x", "SELECT 1;\nDO $$ x",
                            "SELECT 1;\nSELECT \"x", "SELECT 1;\n/* /* */"}) {
        try {
            split_sql_statements(sql);
            ADD_FAILURE() << "no error for " << sql;
        } catch (const SqlSplitError &e) {
            EXPECT_NE(std::string(e.what()).find("on line 2"), std::string::npos) << e.what();
        }
    }
}

// Every shipped migration cuts into statements that, joined again, are the
// file's statements: nothing is lost between them but semicolons and blanks.
TEST(SqlStatements, ShippedMigrationsSplit) {
    for (const Migration &m : parse_migrations(embedded_sql_files())) {
        Statements parts = split_sql_statements(m.sql);
        ASSERT_FALSE(parts.empty()) << m.file_name;
        size_t at = 0;
        for (const std::string &p : parts) {
            size_t found = m.sql.find(p, at);
            ASSERT_NE(found, std::string::npos) << m.file_name << ": " << p;
            at = found + p.size();
        }
    }
    std::string init_sql;
    for (const Migration &m : parse_migrations(embedded_sql_files())) {
        if (m.name == "init") {
            init_sql = m.sql;
        }
    }
    auto init = split_sql_statements(init_sql);
    EXPECT_NE(init.at(0).find("CREATE SCHEMA IF NOT EXISTS trace"), std::string::npos);
}
