// Whole rows: each text column a client can fill is stored exactly, or
// escaped and named in the row's `escaped` column (a text[] in COPY text), in
// column order; NULL when nothing is escaped.

#include "row_encoder.hpp"

#include "encoded_row.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

trace_str_t str(const std::string &s) {
    return {reinterpret_cast<const unsigned char *>(s.data()), s.size()};
}

using trace_test::split_fields;

std::size_t req_col(const char *name) { return trace_test::column_index(trace::request_columns, name); }
std::size_t audit_col(const char *name) { return trace_test::column_index(trace::audit_columns, name); }

const std::size_t r_host = req_col("host"), r_path = req_col("path"), r_query = req_col("query"),
                  r_user_name = req_col("user_name"), r_user_agent = req_col("user_agent"),
                  r_escaped = req_col("escaped"), r_malformed = req_col("malformed");
const std::size_t a_user_name = audit_col("user_name"), a_user_agent = audit_col("user_agent"),
                  a_request_id = audit_col("request_id"), a_escaped = audit_col("escaped");

struct RequestValues {
    std::string server_name = "example.org", method = "GET", uri = "/a?b=1", user = "alice",
                client = "192.0.2.1", user_agent = "curl/8.0", request_id = "0123abcd";
};

std::vector<std::string> request_row(const RequestValues &v, const std::string &host = "web-1") {
    trace::RowEncoder encoder(host, "");
    trace_request_t req{};
    req.start_us = 1795758172123456LL;
    req.status = 200;
    req.server_name = str(v.server_name);
    req.method = str(v.method);
    req.uri = str(v.uri);
    req.user = str(v.user);
    req.client_addr = str(v.client);
    req.user_agent = str(v.user_agent);
    req.request_id = str(v.request_id);
    std::string row;
    encoder.append_request(row, req);
    std::vector<std::string> f = split_fields(row);
    EXPECT_EQ(f.size(), trace_test::column_count(trace::request_columns));
    return f;
}

}  // namespace

TEST(RowEncoder, NothingEscapedIsNull) {
    RequestValues v;
    v.user_agent = "forged \\xff and \\x00";  // the characters, not the bytes
    std::vector<std::string> f = request_row(v);
    EXPECT_EQ(f[r_user_agent], "forged \\\\xff and \\\\x00");  // COPY's own doubling
    EXPECT_EQ(f[r_escaped], "\\N");
    EXPECT_EQ(f[r_malformed], "\\N");
}

TEST(RowEncoder, EscapedColumnsAreNamedInColumnOrder) {
    RequestValues v;
    v.user_agent = "ua \xff\\";
    v.uri = std::string("/p\\\0?q=\xfe", 8);
    v.user = "bob\xc0";
    std::vector<std::string> f = request_row(v);
    EXPECT_EQ(f[r_path], "/p\\\\\\\\\\\\x00");  // stored /p\\\x00
    EXPECT_EQ(f[r_query], "q=\\\\xfe");
    EXPECT_EQ(f[r_user_name], "bob\\\\xc0");
    EXPECT_EQ(f[r_user_agent], "ua \\\\xff\\\\\\\\");
    EXPECT_EQ(f[r_escaped], "{path,query,user_name,user_agent}");
}

TEST(RowEncoder, EveryClientTextColumnCanBeNamed) {
    RequestValues v;
    v.server_name = "h\xff";
    v.method = "G\xff";
    v.uri = "/\xff?\xff";
    v.user = "\xff";
    v.user_agent = "\xff";
    v.request_id = "\xff";
    std::vector<std::string> f = request_row(v, "host\xff");
    EXPECT_EQ(f[r_host], "host\\\\xff");
    EXPECT_EQ(f[r_escaped],
              "{host,server_name,method,path,query,user_name,user_agent,request_id}");
}

TEST(RowEncoder, AuditRowsToo) {
    trace::RowEncoder encoder("web-1", "");
    std::string user, path = "/login", agent = "\\xff", rid = "r\xfe";
    user.assign("mal\0ory", 7);
    trace_audit_t ev{};
    ev.ts_us = 1795758172123456LL;
    ev.action = "login_failed";
    ev.source = "basic_auth";
    ev.user = str(user);
    ev.path = str(path);
    ev.user_agent = str(agent);
    ev.request_id = str(rid);
    std::string row;
    encoder.append_audit(row, ev);
    std::vector<std::string> f = split_fields(row);
    ASSERT_EQ(f.size(), trace_test::column_count(trace::audit_columns));
    EXPECT_EQ(f[a_user_name], "mal\\\\x00ory");
    EXPECT_EQ(f[a_user_agent], "\\\\xff");  // the four characters: not escaped
    EXPECT_EQ(f[a_request_id], "r\\\\xfe");
    EXPECT_EQ(f[a_escaped], "{user_name,request_id}");

    row.clear();
    ev.user = str(path);
    ev.request_id = str(path);
    encoder.append_audit(row, ev);
    EXPECT_EQ(split_fields(row)[a_escaped], "\\N");
}

TEST(RowEncoder, CutValuesAreEscapedByWhatIsKept) {
    RequestValues v;
    v.user = std::string(trace::indexed_text_limit, 'u') + "\xff";
    std::vector<std::string> f = request_row(v);
    EXPECT_EQ(f[r_user_name], std::string(trace::indexed_text_limit, 'u') + "\xE2\x80\xA6");
    EXPECT_EQ(f[r_escaped], "\\N");
    v.user = "\xff" + std::string(trace::indexed_text_limit, 'u');
    f = request_row(v);
    EXPECT_EQ(f[r_user_name],
              "\\\\xff" + std::string(trace::indexed_text_limit - 1, 'u') + "\xE2\x80\xA6");
    EXPECT_EQ(f[r_escaped], "{user_name}");
}
