#include "status/http_get.hpp"

#include "app/usage_error.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace trace_ctl {

namespace {

// Status line and headers included, as the server sent them.
constexpr size_t max_response_bytes = 1 << 20;

bool request_line_safe(std::string_view s) {
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return true;
}

// What the server sent, counted against max_response_bytes.
struct Received {
    std::string body;
    size_t bytes = 0;
    bool too_large = false;
    bool headers_ended = false;  // the empty line came: the answer is complete HTTP

    // libcurl's callbacks: returning less than `n` ends the transfer.
    size_t count(size_t n) {
        bytes += n;
        too_large = bytes > max_response_bytes;
        return too_large ? 0 : n;
    }
    static size_t header(char *line, size_t size, size_t n, void *self) {
        auto *r = static_cast<Received *>(self);
        std::string_view text(line, size * n);
        r->headers_ended = text == "\r\n" || text == "\n";
        return r->count(size * n);
    }
    static size_t body_part(char *data, size_t size, size_t n, void *self) {
        auto *r = static_cast<Received *>(self);
        size_t taken = r->count(size * n);
        r->body.append(data, taken);
        return taken;
    }
};

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// The one line that says what went wrong, in the words trace-ctl used before it
// left HTTP to libcurl.
std::string failure(CURL *curl, CURLcode rc, const HttpUrl &url, const char *detail) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    std::string why = os_errno != 0 ? std::strerror(static_cast<int>(os_errno))
                      : detail[0] != '\0' ? detail
                                          : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected);
        return connected > 0 ? "timed out waiting for the answer" : "timed out connecting";
    }
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve " + url.host;
    case CURLE_COULDNT_CONNECT:
        return "cannot connect to " + url.host + ":" + url.port + ": " + why;
    case CURLE_SEND_ERROR:
        return "sending the request: " + why;
    case CURLE_RECV_ERROR:
        return "reading the answer: " + why;
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // no status line: HTTP/0.9, which is refused
        return "the answer is not HTTP";
    default:
        return why;
    }
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
    const std::string_view scheme = "http://";
    auto bad = [&](const std::string &why) {
        return UsageError("status URL \"" + std::string(url) + "\": " + why);
    };
    if (url.substr(0, scheme.size()) != scheme) {
        throw bad("only http:// is supported");
    }
    std::string_view rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    HttpUrl out;
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    out.port = "80";
    if (authority.find('@') != std::string_view::npos) {
        throw bad("user information is not supported");
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            throw bad("unclosed [ in the host");
        }
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            throw bad("unexpected text after ]");
        }
        port = after.empty() ? "" : after.substr(1);
    } else {
        size_t colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        port = colon == std::string_view::npos ? "" : authority.substr(colon + 1);
        if (port.find(':') != std::string_view::npos) {
            throw bad("an IPv6 address goes in brackets, http://[::1]:8080/");
        }
    }
    if (out.host.empty() || !request_line_safe(out.host) || !request_line_safe(out.path)) {
        throw bad("not a host and path");
    }
    if (!port.empty()) {
        bool digits =
            port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
        if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
            throw bad("the port must be a number from 1 to 65535");
        }
        out.port = std::string(port);
    }
    return out;
}

HttpResponse http_get(const HttpUrl &url, std::chrono::milliseconds timeout) {
    Easy curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) {
        throw HttpError("cannot start libcurl");
    }
    bool v6 = url.host.find(':') != std::string::npos;
    std::string origin = "http://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + url.port;
    HeaderList headers(curl_slist_append(nullptr, "Accept: application/json"),
                       curl_slist_free_all);
    if (!headers || !curl_slist_append(headers.get(), "Connection: close")) {
        throw HttpError("cannot start libcurl");
    }
    Received received;
    char detail[CURL_ERROR_SIZE] = "";
    CURL *c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, (origin + "/").c_str());
    curl_easy_setopt(c, CURLOPT_REQUEST_TARGET, url.path.c_str());  // as given, query included
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is an answer that is not 200
    curl_easy_setopt(c, CURLOPT_PROXY, "");  // the status location is asked directly
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_0));
    curl_easy_setopt(c, CURLOPT_IGNORE_CONTENT_LENGTH, 1L);  // read until the server closes
    curl_easy_setopt(c, CURLOPT_USERAGENT, "trace-ctl");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));  // everything
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Received::header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &received);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Received::body_part);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &received);
    CURLcode rc = curl_easy_perform(c);
    if (received.too_large) {
        throw HttpError("the answer is larger than 1 MiB");
    }
    if (rc != CURLE_OK) {
        throw HttpError(failure(c, rc, url, detail));
    }
    if (!received.headers_ended) {
        throw HttpError("the answer is not HTTP");
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    HttpResponse response;
    response.status = static_cast<int>(status);
    response.body = std::move(received.body);
    return response;
}

}  // namespace trace_ctl
