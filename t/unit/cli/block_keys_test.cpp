// The keys a listing's filter asks of the block summaries: they must be the
// keys common/block_summary.hpp gives the rows the filter matches, or a block
// that holds a match would be skipped.

#include "records/block_keys.hpp"

#include "block_summary.hpp"
#include "records/block_walk_sql.hpp"
#include "records/escaping.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

std::vector<std::string> keys_only(const std::vector<BloomKey> &any) {
    std::vector<std::string> out;
    for (const BloomKey &k : any) {
        EXPECT_EQ(k.column, BloomColumn::keys) << k.key;
        out.push_back(k.key);
    }
    return out;
}

ClientFilter client(const char *text) {
    return parse_client(text);
}

}  // namespace

TEST(BlockKeys, StatusCodeAndClass) {
    EXPECT_EQ(status_range_keys({404, 404}), (std::vector<std::string>{"t:404"}));
    EXPECT_EQ(status_range_keys({500, 599}), (std::vector<std::string>{"t:5xx"}));
    EXPECT_EQ(status_range_keys({400, 599}), (std::vector<std::string>{"t:4xx", "t:5xx"}));
}

TEST(BlockKeys, StatusRangeOfCodesAndClasses) {
    // 404,4xx,5xx merge to 400-599; 304,4xx to two ranges of parse_status_list.
    std::vector<StatusRange> ranges = parse_status_list("304,4xx");
    ASSERT_EQ(ranges.size(), 2u);
    RecordFilter f;
    f.statuses = ranges;
    BlockPredicate p = block_predicate(f);
    ASSERT_EQ(p.all.size(), 1u);
    EXPECT_EQ(keys_only(p.all[0]), (std::vector<std::string>{"t:304", "t:4xx"}));
    // A range that is not whole classes: the codes one by one around a class.
    std::optional<std::vector<std::string>> keys = status_range_keys({498, 601});
    ASSERT_TRUE(keys);
    EXPECT_EQ(*keys, (std::vector<std::string>{"t:498", "t:499", "t:5xx", "t:600", "t:601"}));
}

TEST(BlockKeys, StatusRangeTooWideForCodesAsksNothing) {
    EXPECT_TRUE(status_range_keys({150, 249}));  // 100 codes
    EXPECT_FALSE(status_range_keys({150, 250}));  // 101
    RecordFilter f;
    f.statuses = {{200, 200}, {150, 260}};
    EXPECT_TRUE(block_predicate(f).empty());
}

TEST(BlockKeys, ClientAddressAndNetworks) {
    EXPECT_EQ(client_filter_key(client("10.1.2.3")), "c:10.1.2.3");
    EXPECT_EQ(client_filter_key(client("10.1.2.3/32")), "c:10.1.2.3");
    EXPECT_EQ(client_filter_key(client("10.1.2.0/24")), trace::client_network_key("10.1.2.0", 24));
    EXPECT_EQ(client_filter_key(client("10.1.2.0/28")), trace::client_network_key("10.1.2.0", 24));
    EXPECT_EQ(client_filter_key(client("10.1.0.0/23")), trace::client_network_key("10.1.0.0", 16));
    EXPECT_EQ(client_filter_key(client("10.5.0.0/16")), trace::client_network_key("10.5.0.0", 16));
    EXPECT_EQ(client_filter_key(client("10.0.0.0/8")), trace::client_network_key("10.0.0.0", 8));
    EXPECT_EQ(client_filter_key(client("10.0.0.0/15")), trace::client_network_key("10.0.0.0", 8));
    EXPECT_FALSE(client_filter_key(client("10.0.0.0/7")));
    EXPECT_FALSE(client_filter_key(client("0.0.0.0/0")));
    // IPv6: the address whole, in one text however it is typed; no network.
    EXPECT_EQ(client_filter_key(client("2001:db8::1")), "c:2001:db8::1");
    EXPECT_EQ(client_filter_key(client("2001:DB8:0:0:0::1")), "c:2001:db8::1");
    EXPECT_EQ(client_filter_key(client("2001:db8::1/128")), "c:2001:db8::1");
    EXPECT_EQ(client_filter_key(client("::ffff:10.1.2.3")), "c:::ffff:10.1.2.3");
    EXPECT_FALSE(client_filter_key(client("2001:db8::/32")));
}

TEST(BlockKeys, ClientNetworkKeyIsTheRowsKey) {
    // A row in the network has the filter's key among its own.
    EXPECT_EQ(client_filter_key(client("10.200.7.0/24")),
              trace::client_network_key("10.200.7.99", 24));
    EXPECT_EQ(client_filter_key(client("10.200.0.0/16")),
              trace::client_network_key("10.200.7.99", 16));
}

TEST(BlockKeys, SessionWholeAndPrefix) {
    RecordFilter f;
    f.session = parse_session("0123456789ABCDEF0123456789abcdef");
    EXPECT_EQ(keys_only(block_predicate(f).all.at(0)),
              (std::vector<std::string>{trace::session_key("0123456789abcdef0123456789abcdef")}));
    f.session = parse_session("0123456789ab");
    EXPECT_EQ(keys_only(block_predicate(f).all.at(0)),
              (std::vector<std::string>{trace::session_prefix_key("0123456789abcdef0123456789abcdef")}));
    f.session = parse_session("01234567");
    EXPECT_EQ(keys_only(block_predicate(f).all.at(0)),
              (std::vector<std::string>{trace::session_prefix_key("0123456789abcdef0123456789abcdef")}));
}

TEST(BlockKeys, UserAsStored) {
    RecordFilter f;
    f.user = std::string("a\xff", 2);
    std::string stored;
    stored_form(*f.user, stored);
    EXPECT_NE(stored, *f.user);
    EXPECT_EQ(keys_only(block_predicate(f).all.at(0)),
              (std::vector<std::string>{trace::user_key(stored)}));
}

TEST(BlockKeys, MethodsAreAlternativesOtherFiltersAllHold) {
    RecordFilter f;
    f.methods = parse_methods("put,delete");
    f.host = "web-2";
    BlockPredicate p = block_predicate(f);
    ASSERT_EQ(p.all.size(), 2u);
    EXPECT_EQ(keys_only(p.all[0]),
              (std::vector<std::string>{trace::method_key("PUT"), trace::method_key("DELETE")}));
    EXPECT_EQ(keys_only(p.all[1]), (std::vector<std::string>{trace::host_key("web-2")}));
}

TEST(BlockKeys, PathGramsEachMustHold) {
    RecordFilter f;
    f.path_regex = "^/static/img/29";
    BlockPredicate p = block_predicate(f);
    std::vector<std::string> grams = trace::regex_required_grams(*f.path_regex);
    ASSERT_FALSE(grams.empty());
    ASSERT_EQ(p.all.size(), std::min(grams.size(), max_path_grams));
    for (size_t i = 0; i < p.all.size(); ++i) {
        ASSERT_EQ(p.all[i].size(), 1u);
        EXPECT_EQ(p.all[i][0], (BloomKey{BloomColumn::grams, grams[i]}));
    }
    f.path_regex = std::string(300, 'a') + std::string("bcdefghijklmnopqrstuvwxyz");
    EXPECT_EQ(block_predicate(f).all.size(), max_path_grams);
}

TEST(BlockKeys, NoKeyForWhatBlocksDoNotHold) {
    RecordFilter f;
    f.referer_regex = "^https://";
    f.fields = "{\"a\":\"b\"}";
    f.client = client("2001:db8::/32");
    f.path_regex = "a|b";
    f.max_id = 10;
    EXPECT_TRUE(block_predicate(f).empty());
}

TEST(BlockKeys, BloomTestSqlProbesAsTheFilterSetsBits) {
    std::string sql = bloom_test_sql(BloomColumn::keys, "$1", "$2");
    EXPECT_NE(sql.find("get_bit(keys, (($1::bigint) % (octet_length(keys) * 8))::integer) = 1"),
              std::string::npos)
        << sql;
    EXPECT_NE(sql.find("(($1::bigint + 3 * $2::bigint) % (octet_length(keys) * 8))"),
              std::string::npos)
        << sql;
    EXPECT_EQ(bloom_test_sql(BloomColumn::grams, "$1", "$2").find("keys"), std::string::npos);
}

namespace {

// The highest $n a statement names: it must be its number of parameters, or
// libpq refuses it (too many) or PostgreSQL cannot type a value (too few).
size_t highest_placeholder(const std::string &sql) {
    size_t highest = 0;
    for (size_t i = sql.find('$'); i != std::string::npos; i = sql.find('$', i + 1)) {
        size_t n = 0;
        size_t j = i + 1;
        for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9'; ++j) {
            n = n * 10 + static_cast<size_t>(sql[j] - '0');
        }
        highest = std::max(highest, n);
    }
    return highest;
}

RecordFilter busy_filter() {
    RecordFilter f;
    f.user = "o'brien \"x\" \\";
    f.statuses = parse_status_list("404,5xx");
    f.methods = parse_methods("get,post");
    f.path_regex = "^/api/orders/";
    f.client = parse_client("10.1.0.0/16");
    f.since = parse_time_bound("2d", "--since");
    f.until = parse_time_bound("2024-05-01", "--until");
    f.max_ts = 1714564800000000;
    f.max_id = 99;
    return f;
}

}  // namespace

TEST(BlockWalkSql, EveryPlaceholderHasItsParameter) {
    RecordFilter f = busy_filter();
    BlockPredicate p = block_predicate(f);
    std::vector<Statement> statements = {
        candidate_blocks_sql(p, f, std::nullopt, 64),
        candidate_blocks_sql(p, f, 1714564800000000, 64),
        blocks_ending_at_sql(p, f, 1714564800000000),
        ranges_rows_sql(requests_columns(), f, {{1, 2}, {5, 9}}, 51),
        uncovered_rows_sql(requests_columns(), f, 1000, 51),
    };
    for (const Statement &s : statements) {
        EXPECT_EQ(highest_placeholder(s.sql), s.params.size()) << s.sql;
        // Values travel as parameters only.
        EXPECT_EQ(s.sql.find("o'brien"), std::string::npos) << s.sql;
    }
}

TEST(BlockWalkSql, TimeBoundsNarrowTheBlocks) {
    RecordFilter f = busy_filter();
    Statement s = candidate_blocks_sql(block_predicate(f), f, std::nullopt, 16);
    EXPECT_NE(s.sql.find("last_ts >= now() - $"), std::string::npos) << s.sql;
    EXPECT_NE(s.sql.find("first_ts < $"), std::string::npos) << s.sql;
    EXPECT_NE(s.sql.find("first_ts <= $"), std::string::npos) << s.sql;
    EXPECT_NE(s.sql.find("ORDER BY last_ts DESC LIMIT $"), std::string::npos) << s.sql;
}

TEST(BlockWalkSql, EachKeyAlternativeIsOneOrOfBloomTests) {
    RecordFilter f;
    f.methods = parse_methods("put,delete");
    Statement s = candidate_blocks_sql(block_predicate(f), f, std::nullopt, 16);
    EXPECT_NE(s.sql.find(bloom_test_sql(BloomColumn::keys, "$1", "$2") + " OR " +
                         bloom_test_sql(BloomColumn::keys, "$3", "$4")),
              std::string::npos)
        << s.sql;
    trace::BloomProbe put = trace::bloom_probe(trace::method_key("PUT"));
    ASSERT_GE(s.params.size(), 2u);
    EXPECT_EQ(s.params[0], std::to_string(put.h1));
    EXPECT_EQ(s.params[1], std::to_string(put.h2));
}
