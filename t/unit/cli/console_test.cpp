// The console's pure parts: escaping for HTML and URLs, the exact-path regex,
// --listen, htpasswd lines and credentials, query parameters read into the
// CLI's options, the CSV formula guard, and the table of open sessions.

#include "app/usage_error.hpp"
#include "console/download.hpp"
#include "console/html.hpp"
#include "console/htpasswd.hpp"
#include "console/listen_address.hpp"
#include "console/record_table.hpp"
#include "console/request_params.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <functional>

using namespace trace_ctl;

namespace {

template <typename E>
std::string error_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const E &e) {
        return e.what();
    }
    return "";
}

std::string basic(const std::string &pair) {
    std::string out(4 * ((pair.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(pair.data()),
                            static_cast<int>(pair.size()));
    out.resize(static_cast<size_t>(n));
    return "Basic " + out;
}

std::string temp_file(const std::string &text) {
    char path[] = "/tmp/console-test-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    std::ofstream(path) << text;
    close(fd);
    return path;
}

}  // namespace

TEST(ConsoleHtml, EscapesEveryContext) {
    EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
              "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    // Made visible as the CLI's text output does, then escaped.
    EXPECT_EQ(shown("a\x1b[31m\xe2\x80\xae<b>"), "a\\x1b[31m\\u202e&lt;b&gt;");
    EXPECT_EQ(shown(std::string("\xff\\", 2)), "\\xff\\\\");
    EXPECT_EQ(shown(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(url_encode(std::string("a b/\"<\0\xff~-._", 12)), "a%20b%2F%22%3C%00%FF~-._");
    EXPECT_EQ(query_string({{"user", "o'b"}, {"empty", ""}, {"path", "^/x$"}}),
              "?user=o%27b&path=%5E%2Fx%24");
    EXPECT_EQ(query_string({}), "");
    EXPECT_EQ(html_link("/requests?a=1&b=2", "<x>"), "<a href=\"/requests?a=1&amp;b=2\">&lt;x&gt;</a>");
}

TEST(ConsoleHtml, ExactRegexQuotesEveryMetacharacter) {
    EXPECT_EQ(exact_regex("/a.b"), "^/a\\.b$");
    EXPECT_EQ(exact_regex("(?i)x[1]{2}|y*+^$\\"), "^\\(\\?i\\)x\\[1\\]\\{2\\}\\|y\\*\\+\\^\\$\\\\$");
    EXPECT_EQ(exact_regex("/<script>'x'"), "^/<script>'x'$");
}

TEST(ConsoleListen, LoopbackOrNot) {
    ListenAddress a = parse_listen_address("127.0.0.1:8470");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 8470);
    EXPECT_TRUE(a.loopback);
    EXPECT_TRUE(parse_listen_address("127.8.9.10:1").loopback);
    EXPECT_TRUE(parse_listen_address("[::1]:80").loopback);
    EXPECT_EQ(parse_listen_address("[::1]:80").host, "::1");
    EXPECT_TRUE(parse_listen_address("localhost:80").loopback);
    EXPECT_FALSE(parse_listen_address("0.0.0.0:80").loopback);
    EXPECT_FALSE(parse_listen_address("[::]:80").loopback);
    EXPECT_FALSE(parse_listen_address("[::ffff:127.0.0.1]:80").loopback);
    EXPECT_FALSE(parse_listen_address("192.0.2.1:65535").loopback);
    for (const char *bad : {"", ":80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                            "127.0.0.1:8x", "example.com:80", "[127.0.0.1]:80", "1.2.3:80"}) {
        EXPECT_NE(error_of<UsageError>([&] { parse_listen_address(bad); }), "") << bad;
    }
}

TEST(ConsoleHtpasswd, CryptHashesAndCredentials) {
    std::string sha = crypt_hash("sha-pw", "$6$saltsalt$");
    std::string yes = crypt_hash("yes-pw", "$y$j9T$abcdefghijklmnopqrstu.");
    ASSERT_EQ(sha.rfind("$6$saltsalt$", 0), 0u);
    ASSERT_EQ(yes.rfind("$y$", 0), 0u);
    std::string path = temp_file("# users\n\nsam:" + sha + "\r\nyan:" + yes + ":comment\n");
    Htpasswd users = Htpasswd::load(path);
    std::remove(path.c_str());
    EXPECT_TRUE(users.check("sam", "sha-pw"));
    EXPECT_TRUE(users.check("yan", "yes-pw"));
    EXPECT_FALSE(users.check("sam", "yes-pw"));
    EXPECT_FALSE(users.check("nobody", "sha-pw"));
    EXPECT_EQ(users.authorized_user(basic("sam:sha-pw")), std::optional<std::string>("sam"));
    EXPECT_EQ(users.authorized_user("basic " + basic("yan:yes-pw").substr(6)),
              std::optional<std::string>("yan"));
    EXPECT_EQ(users.authorized_user(basic("sam:wrong")), std::nullopt);
    EXPECT_EQ(users.authorized_user(basic("sam")), std::nullopt);
    EXPECT_EQ(users.authorized_user("Basic !!!!"), std::nullopt);
    EXPECT_EQ(users.authorized_user("Basic "), std::nullopt);
    EXPECT_EQ(users.authorized_user("Digest abc"), std::nullopt);
    EXPECT_EQ(users.authorized_user(""), std::nullopt);
}

TEST(ConsoleHtpasswd, RefusesWhatCryptDoesNotKnow) {
    for (const auto &[text, why] : std::vector<std::pair<std::string, std::string>>{
             {"ann:$apr1$abcdefgh$5VEbMkemELfbhC5ck.U.z1\n", ":1: the hash of \"ann\" is not one"},
             {"# only\n", "names no user"},
             {"bob:{SHA}abc\n", ":1: the hash of \"bob\""},
             {"\nnocolon\n", ":2: not NAME:HASH"},
             {":hash\n", ":1: not NAME:HASH"},
             {"bob:\n", ":1: not NAME:HASH"}}) {
        std::string path = temp_file(text);
        std::string error = error_of<UsageError>([&] { Htpasswd::load(path); });
        std::remove(path.c_str());
        EXPECT_NE(error.find(why), std::string::npos) << text << " -> " << error;
    }
    EXPECT_NE(error_of<UsageError>([] { Htpasswd::load("/nonexistent/htpasswd"); })
                  .find("/nonexistent/htpasswd"),
              std::string::npos);
}

TEST(ConsoleParams, TheCliOptionsUnderTheirNames) {
    RequestsQuery q = requests_query({{"user", "alice"},
                                      {"status", "5xx"},
                                      {"path", "^/api/"},
                                      {"limit", "20"},
                                      {"page", "3"},
                                      {"max_id", "99"},
                                      {"max_time", "2024-05-01T12:00:00Z"},
                                      {"field", "a=b"},
                                      {"field", "c=d"},
                                      {"since", ""}});
    EXPECT_EQ(q.format, PageFormat::html);
    EXPECT_EQ(q.list.user, "alice");
    EXPECT_EQ(q.list.status, "5xx");
    EXPECT_EQ(q.list.path, "^/api/");
    EXPECT_EQ(q.list.limit, 20);
    EXPECT_EQ(q.list.page, 3);
    EXPECT_EQ(q.list.max_id, 99);
    EXPECT_EQ(q.list.max_time, "2024-05-01T12:00:00Z");
    EXPECT_EQ(q.list.fields, (std::vector<std::string>{"a=b", "c=d"}));
    EXPECT_EQ(q.list.since, "");
    EXPECT_EQ(requests_query({}).list.limit, 50);
    EXPECT_EQ(requests_query({{"format", "csv"}, {"limit", "100000"}}).list.limit, 100000);

    AuditQuery a = audit_query({{"action", "login"}, {"summary", "0"}, {"failed_only", "1"}});
    EXPECT_EQ(a.audit.action, "login");
    EXPECT_FALSE(a.audit.summary);
    EXPECT_TRUE(a.audit.failed_only);
    EXPECT_EQ(audit_query({{"format", "json"}}).format, PageFormat::json);
}

TEST(ConsoleParams, RefusesWhatItDoesNotKnow) {
    auto requests_error = [](const ParamMap &p) {
        return error_of<BadRequest>([&] { requests_query(p); });
    };
    EXPECT_EQ(requests_error({{"bogus", "1"}}), "bogus: not a parameter of this page");
    EXPECT_EQ(requests_error({{"action", "login"}}), "action: not a parameter of this page");
    EXPECT_EQ(requests_error({{"user", "a"}, {"user", "b"}}), "user: given more than once");
    EXPECT_NE(requests_error({{"session_token", "x"}}).find("never accepted"), std::string::npos);
    EXPECT_EQ(requests_error({{"limit", "1001"}}), "limit: \"1001\" is not a number from 1 to 1000");
    EXPECT_EQ(requests_error({{"limit", "-5"}}), "limit: \"-5\" is not a number from 1 to 1000");
    EXPECT_EQ(requests_error({{"limit", " 5"}}), "limit: \" 5\" is not a number from 1 to 1000");
    EXPECT_EQ(requests_error({{"page", "1e3"}}), "page: \"1e3\" is not a number from 1 to 10000000");
    EXPECT_EQ(requests_error({{"max_id", "99999999999999999999"}}).substr(0, 8), "max_id: ");
    EXPECT_EQ(requests_error({{"format", "xml"}}), "format: \"xml\" is not html, csv or json");
    EXPECT_EQ(requests_error({{"user", std::string("a\0b", 3)}}), "user: a NUL byte is not a value");
    EXPECT_EQ(error_of<BadRequest>([] { audit_query({{"summary", "yes"}}); }),
              "summary: \"yes\" is not 1 or 0");
    EXPECT_EQ(error_of<BadRequest>([] { audit_query({{"referer", "x"}}); }),
              "referer: not a parameter of this page");
}

TEST(ConsoleCsv, FormulaGuard) {
    for (const char *formula : {"=1+1", "+1", "-1", "@SUM(A1)"}) {
        EXPECT_EQ(formula_safe(std::string(formula)), std::optional<std::string>(std::string("'") + formula));
    }
    EXPECT_EQ(formula_safe(std::string("/path")), std::optional<std::string>("/path"));
    EXPECT_EQ(formula_safe(std::string("")), std::optional<std::string>(""));
    EXPECT_EQ(formula_safe(std::nullopt), std::nullopt);
}

TEST(ConsoleTables, OpenSessionsLinkTheHashAndSayWhenThereIsNone) {
    const std::string hash = "0123456789abcdef0123456789abcdef";
    // 2026-01-02T03:04:05Z and 2026-01-02T03:05:00Z, in microseconds.
    std::string html = open_sessions_table({{hash, "1767323045000000", "1767323100000000", "2"},
                                            {std::nullopt, "1767323045000000", std::nullopt, "2"}});
    EXPECT_NE(html.find("<td><a href=\"/sessions/" + hash + "\">0123456789ab</a></td>"
                        "<td>2026-01-02T03:04:05Z</td><td>2026-01-02T03:05:00Z</td>"),
              std::string::npos)
        << html;
    EXPECT_NE(html.find("<td><span class=\"dim\">none (no session cookie)</span></td>"
                        "<td>2026-01-02T03:04:05Z</td><td><span class=\"dim\">-</span></td>"),
              std::string::npos)
        << html;
    EXPECT_EQ(html.find("href=\"/sessions/\""), std::string::npos) << html;
}
