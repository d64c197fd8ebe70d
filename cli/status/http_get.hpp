// Just enough HTTP to read the module's status location: an HTTP/1.0 GET with
// libcurl, with a deadline. http:// only; no redirects, no TLS, no proxy.

#ifndef TRACE_CTL_STATUS_HTTP_GET_HPP
#define TRACE_CTL_STATUS_HTTP_GET_HPP

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trace_ctl {

struct HttpUrl {
    std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
    std::string port;  // "80" when the URL names none
    std::string path;  // "/" when the URL names none; with its query
};

// http://host[:port][/path]. Throws UsageError for another scheme, user
// information, a bad port, or bytes that do not belong in a request line.
HttpUrl parse_http_url(std::string_view url);

struct HttpResponse {
    int status = 0;
    std::string body;
};

class HttpError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Resolves, connects, sends the request and reads until the server closes (at
// most 1 MiB, headers included), all within `timeout`. Throws HttpError with
// one line saying what failed.
HttpResponse http_get(const HttpUrl &url, std::chrono::milliseconds timeout);

}  // namespace trace_ctl

#endif
