// common/block_summary: the keys, Bloom filters and blocks that the module
// writes and trace-ctl asks. A wrong answer here is a row a listing never
// shows, so the tests are about never missing: every key a block's rows have
// is held, and every trigram a regex requires is in every path it matches.

#include "common/block_summary.hpp"
#include "trace_contract.h"

#include <gtest/gtest.h>

#include <climits>
#include <regex>
#include <string>
#include <vector>

namespace {

using trace::bloom_may_hold;
using trace::bloom_probe;

// A COPY line of trace.requests with the columns blocks read and \N elsewhere.
std::string copy_line(const std::string &ts, const std::string &host, const std::string &method,
                      const std::string &path, const std::string &status, const std::string &user,
                      const std::string &session, const std::string &client) {
    std::vector<std::string> f;
    std::string list = TRACE_REQUEST_COLUMNS;
    std::size_t at = 0;
    while (at != std::string::npos) {
        std::size_t comma = list.find(',', at);
        std::string name = list.substr(at, comma == std::string::npos ? comma : comma - at);
        name.erase(0, name.find_first_not_of(' '));
        if (name == "ts") f.push_back(ts);
        else if (name == "host") f.push_back(host);
        else if (name == "method") f.push_back(method);
        else if (name == "path") f.push_back(path);
        else if (name == "status") f.push_back(status);
        else if (name == "user_name") f.push_back(user);
        else if (name == "session") f.push_back(session);
        else if (name == "client_addr") f.push_back(client);
        else f.push_back("\\N");
        at = comma == std::string::npos ? comma : comma + 1;
    }
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i) {
        line += (i ? "\t" : "") + f[i];
    }
    return line + "\n";
}

bool holds(const std::string &filter, const std::string &key) {
    return bloom_may_hold(filter, bloom_probe(key));
}

std::vector<std::string> trigrams(const std::string &s) {
    std::vector<std::string> out;
    trace::path_grams(s, out);
    return out;
}

}  // namespace

TEST(BlockBloom, HoldsEveryKeyAddedAndFewOthers) {
    trace::BloomBuilder b;
    for (int i = 0; i < 1000; ++i) {
        b.add("u:user" + std::to_string(i));
        b.add("u:user" + std::to_string(i));  // twice counts once
    }
    EXPECT_EQ(b.size(), 1000u);
    std::string f = b.bytes();
    EXPECT_EQ(f.size(), 1250u);  // 10 bits a key
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(holds(f, "u:user" + std::to_string(i))) << i;
    }
    int false_positives = 0;
    for (int i = 0; i < 10000; ++i) {
        false_positives += holds(f, "u:other" + std::to_string(i));
    }
    // About 1% at 10 bits and 4 probes; far more would make blocks useless.
    EXPECT_LT(false_positives, 300);
}

TEST(BlockBloom, SizeHasAFloorAndACap) {
    trace::BloomBuilder empty;
    EXPECT_EQ(empty.bytes(), std::string(8, '\0'));
    EXPECT_FALSE(bloom_may_hold(empty.bytes(), bloom_probe("u:x")));
    trace::BloomBuilder big;
    for (int i = 0; i < 20000; ++i) {
        big.add("g:" + std::to_string(i));
    }
    std::string f = big.bytes();
    EXPECT_EQ(f.size(), trace::TRACE_BLOOM_MAX_BYTES);
    for (int i = 0; i < 20000; i += 97) {
        EXPECT_TRUE(holds(f, "g:" + std::to_string(i)));
    }
}

// Past the cap the filter is filled directly: a key added then is held as
// surely as one added before, and added twice changes nothing.
TEST(BlockBloom, ASaturatedFilterStillHoldsEveryKey) {
    trace::BloomBuilder b;
    for (int i = 0; i < 7000; ++i) {
        b.add("g:" + std::to_string(i));
    }
    std::string before = b.bytes();
    b.add("g:late");
    std::string f = b.bytes();
    EXPECT_EQ(f.size(), trace::TRACE_BLOOM_MAX_BYTES);
    EXPECT_TRUE(holds(f, "g:late"));
    EXPECT_TRUE(holds(f, "g:0"));
    EXPECT_TRUE(holds(f, "g:6999"));
    b.add("g:late");
    EXPECT_EQ(b.bytes(), f);
    EXPECT_NE(before, f);
    b.clear();
    EXPECT_EQ(b.bytes(), std::string(8, '\0'));
}

TEST(BlockBloom, ProbesAreTheTwoHalvesOfTheHash) {
    trace::BloomProbe p = bloom_probe("u:alice");
    EXPECT_LT(p.h1, 1ull << 32);
    EXPECT_LT(p.h2, 1ull << 32);
    EXPECT_NE(p.h1 | (p.h2 << 32), bloom_probe("u:alicf").h1 | (bloom_probe("u:alicf").h2 << 32));
}

TEST(BlockKeys, NamesAndNetworks) {
    EXPECT_EQ(trace::user_key("al'ice"), "u:al'ice");
    EXPECT_EQ(trace::session_prefix_key("0123456789abcdef0123456789abcdef"), "s:01234567");
    EXPECT_EQ(trace::status_key(404), "t:404");
    EXPECT_EQ(trace::status_class_key(503), "t:5xx");
    EXPECT_EQ(trace::client_network_key("10.1.2.3", 8), "n8:10.");
    EXPECT_EQ(trace::client_network_key("10.1.2.3", 16), "n16:10.1.");
    EXPECT_EQ(trace::client_network_key("10.1.2.3", 24), "n24:10.1.2.");
    EXPECT_EQ(trace::client_network_key("10.1.2.3", 12), std::nullopt);
    EXPECT_EQ(trace::client_key("2001:0DB8:0000::0001"), "c:2001:db8::1");
    EXPECT_EQ(trace::client_key("::1"), "c:::1");
    EXPECT_EQ(trace::client_key("not:an address"), "c:not:an address");
    EXPECT_EQ(trace::client_network_key("2001:db8::1", 16), std::nullopt);
    EXPECT_EQ(trace::client_network_key("10.01.2.3", 16), std::nullopt);  // not PostgreSQL's form
    EXPECT_EQ(trace::client_network_key("10.1.2.256", 8), std::nullopt);
    EXPECT_EQ(trace::client_network_key("10.1.2", 8), std::nullopt);
    EXPECT_EQ(trace::client_network_key("10.1.2.3.4", 8), std::nullopt);
}

TEST(BlockRegex, LiteralRunsGiveTheirTrigrams) {
    // A run of 6 or more gives its 6-grams, first; a shorter one its trigrams.
    EXPECT_EQ(trace::regex_required_grams("^/api/v1"),
              (std::vector<std::string>{"G:/api/v", "G:api/v1"}));
    EXPECT_EQ(trace::regex_required_grams("ord.orders/1234$"),
              (std::vector<std::string>{"G:orders", "G:rders/", "G:ders/1", "G:ers/12", "G:rs/123",
                                        "G:s/1234", "g:ord"}));
    EXPECT_EQ(trace::regex_required_grams("ab\\.cd"),
              (std::vector<std::string>{"g:ab.", "g:b.c", "g:.cd"}));
    // The optional character leaves its run: "abc?d" matches "abd".
    EXPECT_EQ(trace::regex_required_grams("xyzabc?d"),
              (std::vector<std::string>{"g:xyz", "g:yza", "g:zab"}));
    EXPECT_EQ(trace::regex_required_grams("abc+def"),
              (std::vector<std::string>{"g:abc", "g:def"}));
    EXPECT_EQ(trace::regex_required_grams("[/x]abc{2}"), (std::vector<std::string>{}));
    EXPECT_EQ(trace::regex_required_grams("[]a]xyzw"),
              (std::vector<std::string>{"g:xyz", "g:yzw"}));
}

TEST(BlockRegex, GivesUpWhereNothingIsSure) {
    for (const char *re : {"abc|def", "(?i)abcdef", "***=abcdef", "***:abcdef", "ab", "a.b.c",
                           "(abcdef)", "x(abc|def)y", "\\d\\d\\d", "abc(", "abc)", "[abc"}) {
        EXPECT_TRUE(trace::regex_required_grams(re).empty()) << re;
    }
    EXPECT_EQ(trace::regex_required_grams("(a|b)xyz(c)"), (std::vector<std::string>{"g:xyz"}));
}

// Every trigram a regex requires is in every string it matches: checked with
// std::regex (ECMAScript, which agrees with PostgreSQL's ARE on these).
TEST(BlockRegex, RequiredTrigramsAreInEveryMatch) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"^/api/v1/orders/1", {"/api/v1/orders/1", "/api/v1/orders/123?x"}},
        {"orders/[0-9]+/items", {"/orders/7/items", "/x/orders/123/items/4"}},
        {"abc?def", {"abdef", "abcdef"}},
        {"ab*cdef", {"acdef", "abbbcdef"}},
        {"x(yz)?abcd", {"xabcd", "xyzabcd"}},
        {"\\.php$", {"/index.php", "/a.php"}},
        {"a{0,3}bcde", {"bcde", "aaabcde"}},
        {"wp-(admin|login)\\.php", {"/wp-admin.php", "/wp-login.php"}},
    };
    for (const auto &[re, matches] : cases) {
        std::vector<std::string> need = trace::regex_required_grams(re);
        for (const std::string &s : matches) {
            ASSERT_TRUE(std::regex_search(s, std::regex(re))) << re << " " << s;
            std::vector<std::string> have = trigrams(s);
            for (const std::string &g : need) {
                EXPECT_NE(std::find(have.begin(), have.end(), g), have.end())
                    << re << " requires " << g << " missing from " << s;
            }
        }
    }
}

TEST(BlockCopyText, BlocksOf256RowsHoldEveryRowsKeys) {
    std::string text;
    for (int i = 0; i < 300; ++i) {
        char ts[64];
        std::snprintf(ts, sizeof ts, "2026-12-02 10:%02d:%02d.%06d+00", i / 60, i % 60, i);
        text += copy_line(ts, "web" + std::to_string(i % 3), i % 2 ? "GET" : "POST",
                          "/app/item/" + std::to_string(i), std::to_string(200 + i % 7),
                          "user" + std::to_string(i), std::string(32, "0123456789abcdef"[i % 16]),
                          "10.0." + std::to_string(i % 250) + ".9");
    }
    std::vector<trace::BlockSummary> blocks = trace::summarise_request_copy_text(text);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].row_count, 256u);
    EXPECT_EQ(blocks[1].row_count, 44u);
    EXPECT_EQ(trace::utc_timestamp_text(blocks[0].first_ts_us), "2026-12-02 10:00:00.000000+00");
    EXPECT_EQ(trace::utc_timestamp_text(blocks[0].last_ts_us), "2026-12-02 10:04:15.000255+00");
    EXPECT_EQ(trace::utc_timestamp_text(blocks[1].first_ts_us), "2026-12-02 10:04:16.000256+00");
    for (int i = 0; i < 300; ++i) {
        const trace::BlockSummary &b = blocks[i < 256 ? 0 : 1];
        std::string session(32, "0123456789abcdef"[i % 16]);
        for (const std::string &key : std::vector<std::string>
             {"u:user" + std::to_string(i), "s:" + session, "s:" + session.substr(0, 8),
              "c:10.0." + std::to_string(i % 250) + ".9", std::string("n8:10."), std::string("n16:10.0."),
              "n24:10.0." + std::to_string(i % 250) + ".", "t:" + std::to_string(200 + i % 7),
              std::string("t:2xx"), std::string(i % 2 ? "m:GET" : "m:POST"),
              "h:web" + std::to_string(i % 3)}) {
            EXPECT_TRUE(holds(b.keys, key)) << i << " " << key;
        }
        for (const std::string &g : trigrams("/app/item/" + std::to_string(i))) {
            EXPECT_TRUE(holds(b.grams, g)) << i << " " << g;
        }
    }
    EXPECT_FALSE(holds(blocks[1].keys, "u:user3") && holds(blocks[1].keys, "u:user4") &&
                 holds(blocks[1].keys, "u:user5"));
}

TEST(BlockCopyText, FieldsAreReadAsCopyReadsThem) {
    // A user with a tab and a quote, a path with a backslash, as COPY text.
    std::string text = copy_line("2026-12-02 10:00:00+00", "h", "GET", "/a\\\\b\\tc", "\\N",
                                 "o'br\\tien", "\\N", "\\N");
    std::vector<trace::BlockSummary> blocks = trace::summarise_request_copy_text(text);
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_TRUE(holds(blocks[0].keys, "u:o'br\tien"));
    EXPECT_TRUE(holds(blocks[0].grams, "g:a\\b"));
    EXPECT_TRUE(holds(blocks[0].grams, "g:\\b\t"));
    EXPECT_EQ(blocks[0].first_ts_us, blocks[0].last_ts_us);
}

// Paths of distinct trigrams beyond what a filter holds: the block's trigram
// filter claims everything (read by every --path), its keys stay exact.
TEST(BlockCopyText, PathsBeyondTheTrigramFilterMakeItClaimEverything) {
    std::string text;
    const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    std::uint32_t seed = 7;
    for (int i = 0; i < 4; ++i) {
        std::string path = "/";
        for (int k = 0; k < 8000; ++k) {
            seed = seed * 1664525u + 1013904223u;
            path += alphabet[seed >> 26];
        }
        text += copy_line("2026-12-02 10:00:0" + std::to_string(i) + "+00", "h", "GET", path,
                          "200", "user" + std::to_string(i), "\\N", "\\N");
    }
    std::vector<trace::BlockSummary> blocks = trace::summarise_request_copy_text(text);
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].grams, std::string(8, '\xff'));
    EXPECT_TRUE(holds(blocks[0].keys, "u:user3"));
    EXPECT_FALSE(holds(blocks[0].keys, "u:user4") && holds(blocks[0].keys, "u:user5"));
}

TEST(BlockCopyText, AnUnreadableRowMakesItsBlockClaimEverything) {
    std::string good = copy_line("2026-12-02 10:00:00.5+00", "h", "GET", "/x", "200", "u", "\\N",
                                 "\\N");
    std::vector<trace::BlockSummary> b1 =
        trace::summarise_request_copy_text(good + "2026-12-02 10:00:01+00\tonly two fields\n");
    ASSERT_EQ(b1.size(), 1u);
    EXPECT_EQ(b1[0].row_count, 2u);
    EXPECT_TRUE(holds(b1[0].keys, "u:anyone at all"));
    EXPECT_TRUE(holds(b1[0].grams, "g:zzz"));
    EXPECT_EQ(trace::utc_timestamp_text(b1[0].last_ts_us), "2026-12-02 10:00:01.000000+00");

    std::vector<trace::BlockSummary> b2 = trace::summarise_request_copy_text(good + "yesterday\n");
    ASSERT_EQ(b2.size(), 1u);
    EXPECT_EQ(trace::utc_timestamp_text(b2[0].first_ts_us), "-infinity");
    EXPECT_EQ(trace::utc_timestamp_text(b2[0].last_ts_us), "infinity");
}

TEST(BlockTime, UtcText) {
    EXPECT_EQ(trace::utc_timestamp_text(0), "1970-01-01 00:00:00.000000+00");
    EXPECT_EQ(trace::utc_timestamp_text(-1), "1969-12-31 23:59:59.999999+00");
    EXPECT_EQ(trace::utc_timestamp_text(951782400000001), "2000-02-29 00:00:00.000001+00");
    EXPECT_EQ(trace::utc_timestamp_text(INT64_MIN), "-infinity");
}
