#include "form_fields.hpp"
#include "percent.hpp"

#include <gtest/gtest.h>

using trace::form_field;
using trace::parse_audit_header;
using trace::percent_decode;

TEST(PercentDecode, FormsAndBadEscapes) {
    EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
    EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
    EXPECT_EQ(percent_decode("%41%4a%4A", false), "AJJ");
    EXPECT_EQ(percent_decode("100%", false), "100%");
    EXPECT_EQ(percent_decode("%zz%4", false), "%zz%4");
    EXPECT_EQ(percent_decode("%00%FF", false), std::string("\0\xff", 2));
}

TEST(FormField, FindsDecodesAndComparesNamesLikeNginx) {
    std::string body = "csrf=abc&username=al%40ice+smith&password=p%26ss&empty=&flag";
    EXPECT_EQ(form_field(body, "username").value(), "al@ice smith");
    EXPECT_EQ(form_field(body, "password").value(), "p&ss");
    EXPECT_EQ(form_field(body, "UserName").value(), "al@ice smith");  // $trace_form_ is lowercased
    EXPECT_EQ(form_field(body, "empty").value(), "");
    EXPECT_EQ(form_field(body, "flag").value(), "");
    EXPECT_FALSE(form_field(body, "user").has_value());
    EXPECT_FALSE(form_field("", "x").has_value());
    EXPECT_EQ(form_field("a=1&a=2", "a").value(), "1");
    EXPECT_EQ(form_field("user%5Fname=x", "user_name").value(), "x");
}

TEST(AuditHeader, Grammar) {
    auto h = parse_audit_header("login alice");
    ASSERT_TRUE(h);
    EXPECT_STREQ(h->action, "login");
    EXPECT_EQ(h->user, "alice");
    h = parse_audit_header("  logout \t al%20ice%00  ");
    ASSERT_TRUE(h);
    EXPECT_STREQ(h->action, "logout");
    EXPECT_EQ(h->user, std::string("al ice\0", 7));
    h = parse_audit_header("login_failed");
    ASSERT_TRUE(h);
    EXPECT_STREQ(h->action, "login_failed");
    EXPECT_EQ(h->user, "");
    h = parse_audit_header("login a+b");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->user, "a+b");  // '+' is a plus: the header is not a form
}

TEST(AuditHeader, RefusesEverythingElse) {
    EXPECT_FALSE(parse_audit_header(""));
    EXPECT_FALSE(parse_audit_header("   "));
    EXPECT_FALSE(parse_audit_header("LOGIN alice"));
    EXPECT_FALSE(parse_audit_header("signin alice"));
    EXPECT_FALSE(parse_audit_header("login alice bob"));   // one token; %20 for spaces
    EXPECT_FALSE(parse_audit_header("loginalice"));
    EXPECT_FALSE(parse_audit_header("login_failedx"));
}
