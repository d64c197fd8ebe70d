// Rows of trace.requests as the module encodes them, for the tests of what is
// sent with them (block summaries): realistic COPY text, one request a
// millisecond, users, clients and paths that vary as a site's do.

#ifndef TRACE_TEST_ENCODED_REQUESTS_HPP
#define TRACE_TEST_ENCODED_REQUESTS_HPP

#include "row_encoder.hpp"
#include "trace_core.h"

#include <cstdint>
#include <string>

namespace trace_test {

inline trace_str_t text_of(const std::string &s) {
    return {reinterpret_cast<const unsigned char *>(s.data()), s.size()};
}

// `n` rows from `first_us` on; a row whose number is `marked` has `mark` in
// its user agent (the fake server refuses rows holding "BAD").
inline std::string encoded_requests(int n, std::int64_t first_us = 1795758172000000LL,
                                    int marked = -1, const std::string &mark = "") {
    trace::RowEncoder encoder("web-1", "");
    std::string out;
    for (int i = 0; i < n; ++i) {
        std::string user = "user" + std::to_string(i % 37);
        std::string client = "10.1." + std::to_string(i % 7) + "." + std::to_string(i % 200);
        std::string uri = "/app/items/" + std::to_string(i * 7919 % 1000) + "/view?page=" +
                          std::to_string(i % 5);
        std::string agent = "Mozilla/5.0 (X11; Linux x86_64) test/" + std::to_string(i % 3);
        if (i == marked) {
            agent += mark;
        }
        std::string method = i % 10 == 0 ? "POST" : "GET";
        std::string server = "shop.example";
        std::string id = "req-" + std::to_string(i);
        trace_request_t req{};
        req.start_us = first_us + i * 1000LL;
        req.duration_us = 1500;
        req.status = i % 50 == 0 ? 404 : 200;
        req.method = text_of(method);
        req.uri = text_of(uri);
        req.user = text_of(user);
        req.client_addr = text_of(client);
        req.server_name = text_of(server);
        req.user_agent = text_of(agent);
        req.request_id = text_of(id);
        req.bytes_sent = 5120;
        encoder.append_request(out, req);
    }
    return out;
}

}  // namespace trace_test

#endif
