#include "trace_core.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string check(const char *conninfo) {
    char err[256] = "";
    return trace_conninfo_check(conninfo, err, sizeof(err)) == 0 ? "" : err;
}

}  // namespace

TEST(Conninfo, AcceptsKeywordsAndUris) {
    EXPECT_EQ(check("host=/run/postgresql dbname=trace user=nginx"), "");
    EXPECT_EQ(check("postgresql://nginx@db.example.org:5432/trace?sslmode=verify-full"), "");
    EXPECT_EQ(check(""), "");
}

TEST(Conninfo, RejectsUnknownOptionsAndSyntax) {
    EXPECT_NE(check("host=x bogus=1").find("bogus"), std::string::npos);
    EXPECT_NE(check("host='unterminated"), "");
}

TEST(Conninfo, RefusesPasswords) {
    EXPECT_NE(check("host=x password=secret").find("passfile"), std::string::npos);
    EXPECT_NE(check("postgresql://u:secret@host/db").find("passfile"), std::string::npos);
    char err[8];
    EXPECT_EQ(trace_conninfo_check("password=x", err, sizeof(err)), -1);
    EXPECT_EQ(std::string(err).size(), 7u);  // truncated, still terminated
}
