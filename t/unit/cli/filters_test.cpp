#include "records/filters.hpp"
#include "app/usage_error.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <set>

using namespace trace_ctl;

namespace {

std::string usage_error_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const UsageError &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(StatusList, CodesAndClasses) {
    EXPECT_EQ(parse_status_list("500"), (std::vector<StatusRange>{{500, 500}}));
    EXPECT_EQ(parse_status_list("5xx"), (std::vector<StatusRange>{{500, 599}}));
    EXPECT_EQ(parse_status_list("5XX"), (std::vector<StatusRange>{{500, 599}}));
    EXPECT_EQ(parse_status_list(" 404 , 5xx "), (std::vector<StatusRange>{{404, 404}, {500, 599}}));
}

TEST(StatusList, AdjacentAndOverlappingRangesMerge) {
    EXPECT_EQ(parse_status_list("4xx,5xx"), (std::vector<StatusRange>{{400, 599}}));
    EXPECT_EQ(parse_status_list("503,5xx,502"), (std::vector<StatusRange>{{500, 599}}));
    EXPECT_EQ(parse_status_list("302,200"), (std::vector<StatusRange>{{200, 200}, {302, 302}}));
}

TEST(StatusList, RejectsWhatIsNotAStatus) {
    for (const char *bad :
         {"", "6", "50", "5x", "50x", "x00", "099", "abc", "4xx,,5xx", "5000", "0xx"}) {
        EXPECT_NE(usage_error_of([&] { parse_status_list(bad); }), "") << bad;
    }
    EXPECT_EQ(usage_error_of([] { parse_status_list("5yy"); }),
              "--status: \"5yy\" is not a status code (200, 404) or class (4xx, 5xx)");
}

TEST(Duration, Units) {
    EXPECT_EQ(parse_duration("90s"), 90);
    EXPECT_EQ(parse_duration("15m"), 900);
    EXPECT_EQ(parse_duration("2h"), 7200);
    EXPECT_EQ(parse_duration("7d"), 7 * 86400);
    EXPECT_EQ(parse_duration("1w"), 7 * 86400);
    EXPECT_EQ(parse_duration("1h30m"), 5400);
    EXPECT_EQ(parse_duration("0s"), 0);
}

TEST(Duration, RejectsOtherText) {
    for (const char *bad : {"", "15", "m", "15x", "-5m", "1.5h", "15 m", "h1", "999999999999d"}) {
        EXPECT_NE(usage_error_of([&] { parse_duration(bad); }), "") << bad;
    }
}

TEST(TimeBound, DurationOrTime) {
    TimeBound d = parse_time_bound("15m", "--since");
    EXPECT_EQ(d.seconds_ago, 900);
    EXPECT_FALSE(d.at);
    TimeBound t = parse_time_bound("2024-05-01T12:00:00Z", "--until");
    EXPECT_FALSE(t.seconds_ago);
    EXPECT_EQ(t.at, 1714564800LL * 1000000);
    std::string e = usage_error_of([] { parse_time_bound("yesterday", "--until"); });
    EXPECT_EQ(e.rfind("--until: \"yesterday\" is neither a duration", 0), 0u) << e;
}

TEST(Session, FullHashOrPrefixInLowerCase) {
    EXPECT_EQ(parse_session("0123456789ABCDEF0123456789abcdef"),
              "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(parse_session("DEADBEEF"), "deadbeef");
    for (const char *bad :
         {"", "deadbee", "xyz12345", "0123456789abcdef0123456789abcdef0", "dead beef"}) {
        EXPECT_NE(usage_error_of([&] { parse_session(bad); }), "") << bad;
    }
}

TEST(Client, AddressesAndNetworks) {
    ClientFilter a = parse_client("192.0.2.7");
    EXPECT_EQ(a.address, "192.0.2.7");
    EXPECT_FALSE(a.is_network);
    ClientFilter n = parse_client("10.0.0.0/8");
    EXPECT_TRUE(n.is_network);
    EXPECT_TRUE(parse_client("2001:db8::/32").is_network);
    EXPECT_FALSE(parse_client("2001:db8::1").is_network);
    EXPECT_TRUE(parse_client("::ffff:10.0.0.0/104").is_network);
    for (const char *bad : {"", "10.0.0.0/33", "2001:db8::/129", "300.1.1.1", "host.example",
                            "10.0.0.1/", "10.0.0.1/x", "'; DROP TABLE x; --", "10.0.0.0/-1"}) {
        EXPECT_NE(usage_error_of([&] { parse_client(bad); }), "") << bad;
    }
}

TEST(Methods, UpperCaseWithoutRepeats) {
    EXPECT_EQ(parse_methods("get,Post,GET"), (std::vector<std::string>{"GET", "POST"}));
    EXPECT_EQ(parse_methods("PROPFIND"), (std::vector<std::string>{"PROPFIND"}));
    EXPECT_NE(usage_error_of([] { parse_methods("G ET"); }), "");
    EXPECT_NE(usage_error_of([] { parse_methods("GET;"); }), "");
}

TEST(Actions, OnlyTheThreeKnown) {
    EXPECT_EQ(parse_actions("login,login_failed,login"),
              (std::vector<std::string>{"login", "login_failed"}));
    EXPECT_EQ(usage_error_of([] { parse_actions("logon"); }),
              "--action: \"logon\" is not one of login, logout, login_failed");
}

TEST(UpstreamStatus, AnyEntryOfNginxsList) {
    std::regex re(parse_upstream_status_list("502,5xx,404"), std::regex::extended);
    EXPECT_EQ(parse_upstream_status_list("502"), "(^|[ ,:])(502)([ ,:]|$)");
    EXPECT_EQ(parse_upstream_status_list("5XX, 404"), "(^|[ ,:])(5[0-9][0-9]|404)([ ,:]|$)");
    std::regex only502(parse_upstream_status_list("502"), std::regex::extended);
    for (const char *s : {"502", "200, 502", "502 : 200", "-, 502", "404 : 200, 502"}) {
        EXPECT_TRUE(std::regex_search(s, only502)) << s;
    }
    for (const char *s : {"200", "5020", "1502", "200, 504", "-"}) {
        EXPECT_FALSE(std::regex_search(s, only502)) << s;
    }
    EXPECT_TRUE(std::regex_search("200 : 503", re));
    EXPECT_NE(usage_error_of([] { parse_upstream_status_list("50"); }).find("\"50\" is not"),
              std::string::npos);
    EXPECT_NE(usage_error_of([] { parse_upstream_status_list("502,"); }).find("empty item"),
              std::string::npos);
    EXPECT_NE(usage_error_of([] { parse_upstream_status_list("6x"); }), "");
    EXPECT_NE(usage_error_of([] { parse_upstream_status_list("502|.*"); }), "");
}

TEST(Field, NameEqualsValue) {
    EXPECT_EQ(parse_field("xff=10.0.0.1, 10.0.0.2"),
              (std::pair<std::string, std::string>{"xff", "10.0.0.1, 10.0.0.2"}));
    EXPECT_EQ(parse_field("q=a=b").second, "a=b") << "the first = splits";
    EXPECT_NE(usage_error_of([] { parse_field("xff"); }).find("is not NAME=VALUE"), std::string::npos);
    EXPECT_NE(usage_error_of([] { parse_field("X=1"); }).find("is not a trace_field name"),
              std::string::npos);
    EXPECT_NE(usage_error_of([] { parse_field("=1"); }), "");
    EXPECT_NE(usage_error_of([] { parse_field(std::string(65, 'a') + "=1"); }), "");
    EXPECT_EQ(parse_field(std::string(64, 'a') + "=1").first, std::string(64, 'a'));
    EXPECT_NE(usage_error_of([] { parse_field("a="); }).find("has no value"), std::string::npos);
}

TEST(Field, OneObjectForContainment) {
    EXPECT_EQ(fields_object({{"b", "2"}, {"a", "say \"hi\" \\"}}),
              R"({"b":"2","a":"say \"hi\" \\"})");
    EXPECT_NE(usage_error_of([] { fields_object({{"a", "1"}, {"a", "2"}}); }).find("given twice"),
              std::string::npos);
    RecordFilter f;
    f.referer_regex = "^https://";
    f.upstream_status_regex = parse_upstream_status_list("502");
    f.fields = fields_object({{"a", "1"}});
    WhereClause w = build_where(f);
    EXPECT_EQ(w.sql, "WHERE referer ~ $1 AND upstream_status ~ $2 AND fields @> $3::jsonb");
    ASSERT_EQ(w.params.size(), 3u);
    EXPECT_EQ(*w.params[2], R"({"a":"1"})");
}

TEST(PgArrayLiteral, QuotesEveryElement) {
    EXPECT_EQ(pg_array_literal({"a", "b,c", "d\"e", "f\\g", "{}", ""}),
              R"({"a","b,c","d\"e","f\\g","{}",""})");
    EXPECT_EQ(pg_array_literal({}), "{}");
}

TEST(Where, NothingFiltersNothing) {
    WhereClause w = build_where(RecordFilter{});
    EXPECT_EQ(w.sql, "");
    EXPECT_TRUE(w.params.empty());
}

TEST(Where, EachFilterIsAParameter) {
    RecordFilter f;
    f.user = "alice";
    f.statuses = {{404, 404}, {500, 599}};
    f.methods = {"GET", "POST"};
    f.client = ClientFilter{"10.0.0.0/8", true};
    f.since = TimeBound{900, std::nullopt};
    f.until = TimeBound{std::nullopt, 1714564800LL * 1000000};
    f.max_id = 77;
    WhereClause w = build_where(f);
    EXPECT_EQ(w.sql,
              "WHERE user_name = $1 AND NOT coalesce($2::text = ANY(escaped), false) AND "
              "(status = $3::integer OR status BETWEEN $4::integer AND "
              "$5::integer) AND method = ANY($6::text[]) AND client_addr <<= $7::inet AND ts >= "
              "now() - $8::interval AND ts < $9::timestamptz AND id <= $10::bigint");
    std::vector<std::optional<std::string>> expected = {"alice",
                                                        "user_name",
                                                        "404",
                                                        "500",
                                                        "599",
                                                        R"({"GET","POST"})",
                                                        "10.0.0.0/8",
                                                        "900 seconds",
                                                        "2024-05-01T12:00:00.000000Z",
                                                        "77"};
    EXPECT_EQ(w.params, expected);
}

TEST(Where, SessionPrefixIsARangeWithAnExactCheck) {
    RecordFilter f;
    f.session = "deadbeef";
    WhereClause w = build_where(f, 3);
    EXPECT_EQ(w.sql, "WHERE session BETWEEN $3 AND $4 AND left(session, length($3)) = $3");
    ASSERT_EQ(w.params.size(), 2u);
    EXPECT_EQ(*w.params[1], "deadbeefffffffffffffffffffffffff");
    f.session = std::string(32, 'a');
    EXPECT_EQ(build_where(f).sql, "WHERE session = $1");
}

TEST(Where, FollowExcludesWhatWasPrinted) {
    RecordFilter f;
    f.after_id = 10;
    f.exclude_ids = {11, 13};
    WhereClause w = build_where(f);
    EXPECT_EQ(w.sql, "WHERE id > $1::bigint AND NOT (id = ANY($2::bigint[]))");
    EXPECT_EQ(*w.params[1], R"({"11","13"})");
}

// Whatever people type, it travels as a parameter: no value ever shows up in
// the SQL text, and every placeholder has its value.
TEST(Where, HostileValuesNeverReachTheSqlText) {
    const std::string hostile = "x'); DROP TABLE trace.requests; --\\ $1 \"";
    RecordFilter f;
    f.user = hostile;
    f.host = hostile;
    f.path_regex = hostile;
    f.methods = {"A", "B"};
    f.actions = {hostile, "login"};
    f.session = "0123456789abcdef";
    WhereClause w = build_where(f);
    EXPECT_EQ(w.sql.find("DROP"), std::string::npos) << w.sql;
    EXPECT_EQ(w.sql.find('\''), std::string::npos) << w.sql;
    std::regex placeholder(R"(\$(\d+))");
    std::set<int> used;
    for (auto it = std::sregex_iterator(w.sql.begin(), w.sql.end(), placeholder);
         it != std::sregex_iterator(); ++it) {
        used.insert(std::stoi((*it)[1]));
    }
    ASSERT_FALSE(used.empty());
    EXPECT_EQ(*used.begin(), 1);
    EXPECT_EQ(static_cast<size_t>(*used.rbegin()), w.params.size());
    EXPECT_EQ(used.size(), w.params.size());
}
