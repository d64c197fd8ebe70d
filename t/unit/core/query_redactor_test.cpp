#include "query_redactor.hpp"

#include <gtest/gtest.h>

using trace::QueryRedactor;

TEST(QueryRedactor, DefaultListCatchesCommonSecrets) {
    QueryRedactor r(trace::default_redacted_names());
    EXPECT_EQ(r.redact("user=alice&password=hunter2"), "user=alice&password=[REDACTED]");
    EXPECT_EQ(r.redact("access_token=abc&x=1"), "access_token=[REDACTED]&x=1");
    EXPECT_EQ(r.redact("api_key=k&apikey=k&client_secret=s"),
              "api_key=[REDACTED]&apikey=[REDACTED]&client_secret=[REDACTED]");
    EXPECT_EQ(r.redact("q=search&page=2"), "q=search&page=2");
}

TEST(QueryRedactor, NamesAreDecodedAndCaseFolded) {
    QueryRedactor r(trace::default_redacted_names());
    EXPECT_EQ(r.redact("PassWord=x"), "PassWord=[REDACTED]");
    EXPECT_EQ(r.redact("pass%77ord=x"), "pass%77ord=[REDACTED]");
    EXPECT_EQ(r.redact("%50ASSWORD=x"), "%50ASSWORD=[REDACTED]");
    EXPECT_EQ(r.redact("my+token=x"), "my+token=[REDACTED]");
}

TEST(QueryRedactor, EveryOccurrenceAndOddShapes) {
    QueryRedactor r({"token"});
    EXPECT_EQ(r.redact("token=a&token=b"), "token=[REDACTED]&token=[REDACTED]");
    EXPECT_EQ(r.redact("token"), "token");            // no value
    EXPECT_EQ(r.redact("token="), "token=");          // empty value
    EXPECT_EQ(r.redact("&&token=a&"), "&&token=[REDACTED]&");
    EXPECT_EQ(r.redact("token=a=b"), "token=[REDACTED]");
    EXPECT_EQ(r.redact(""), "");
    EXPECT_EQ(r.redact("tok%en=a"), "tok%en=a");      // bad escape: not the name
}

TEST(QueryRedactor, GlobPatterns) {
    EXPECT_TRUE(trace::glob_match("*token*", "csrf_token_x"));
    EXPECT_TRUE(trace::glob_match("*token", "token"));
    EXPECT_FALSE(trace::glob_match("token", "tokens"));
    EXPECT_TRUE(trace::glob_match("a*b*c", "axxbyyc"));
    EXPECT_FALSE(trace::glob_match("a*b*c", "axxbyy"));
    QueryRedactor r({"X-*"});
    EXPECT_EQ(r.redact("x-sig=1&y=2"), "x-sig=[REDACTED]&y=2");
}

TEST(QueryRedactor, EmptyListRedactsNothing) {
    QueryRedactor r({});
    EXPECT_EQ(r.redact("password=x"), "password=x");
}
