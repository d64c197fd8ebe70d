// The row of a request nginx rejected (trace_request_t.malformed): the target
// as the client sent it, cut to rejected_target_limit and marked where it was
// cut, and malformed true; every other row has malformed NULL.

#include "copy_text.hpp"
#include "row_encoder.hpp"

#include "encoded_row.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace trace;

namespace {

trace_str_t str(const std::string &s) {
    return {reinterpret_cast<const unsigned char *>(s.data()), s.size()};
}

// The fields of one encoded row, still in COPY text.
std::vector<std::string> fields(const trace_request_t &req) {
    RowEncoder encoder("h", "");
    std::string row;
    encoder.append_request(row, req);
    return trace_test::split_fields(row);
}

const std::size_t path_field = trace_test::column_index(request_columns, "path"),
                  query_field = trace_test::column_index(request_columns, "query"),
                  malformed_field = trace_test::column_index(request_columns, "malformed");

const std::string mark(cut_mark);

}  // namespace

TEST(RejectedRow, ColumnPositions) {
    EXPECT_EQ(std::string(request_columns).find("ts, host, server_name, method, path, query"), 0u);
    EXPECT_NE(std::string(request_columns).find("escaped, malformed"), std::string::npos);
}

TEST(RejectedRow, MarkedMalformedAndOnlyIt) {
    std::string uri = "/a%00b";
    trace_request_t req{};
    req.uri = str(uri);
    EXPECT_EQ(fields(req).at(malformed_field), "\\N");
    req.malformed = 1;
    std::vector<std::string> f = fields(req);
    ASSERT_EQ(f.size(), trace_test::column_count(request_columns));
    EXPECT_EQ(f[path_field], "/a%00b");
    EXPECT_EQ(f[query_field], "\\N");
    EXPECT_EQ(f[malformed_field], "t");
}

TEST(RejectedRow, CutByNginxEndsInTheMark) {
    std::string uri = "/long/xxxx";
    trace_request_t req{};
    req.uri = str(uri);
    req.malformed = 1;
    req.uri_cut = 1;
    EXPECT_EQ(fields(req).at(path_field), "/long/xxxx" + mark);

    std::string with_query = "/x?password=hun";
    req.uri = str(with_query);
    std::vector<std::string> f = fields(req);
    EXPECT_EQ(f[path_field], "/x");
    EXPECT_EQ(f[query_field], "password=[REDACTED]" + mark);
}

TEST(RejectedRow, BoundedAtTheLimit) {
    std::string uri = "/" + std::string(rejected_target_limit + 5000, 'z');
    trace_request_t req{};
    req.uri = str(uri);
    req.malformed = 1;
    EXPECT_EQ(fields(req).at(path_field), uri.substr(0, rejected_target_limit) + mark);

    // An accepted request is stored whole: nginx bounds it by its buffers.
    req.malformed = 0;
    EXPECT_EQ(fields(req).at(path_field), uri);
}

TEST(RejectedRow, CutAtACharacterBoundary) {
    // "€" (3 bytes) straddles the limit: it is left out whole.
    std::string uri = std::string(rejected_target_limit - 1, 'a') + "\xE2\x82\xAC" + "tail";
    trace_request_t req{};
    req.uri = str(uri);
    req.malformed = 1;
    EXPECT_EQ(fields(req).at(path_field), std::string(rejected_target_limit - 1, 'a') + mark);

    // Bytes that are no UTF-8 are cut where the limit falls.
    std::string invalid = std::string(rejected_target_limit - 1, 'a') + "\x80\x80\x80";
    req.uri = str(invalid);
    EXPECT_EQ(fields(req).at(path_field),
              std::string(rejected_target_limit - 1, 'a') + "\\\\x80" + mark);
}
