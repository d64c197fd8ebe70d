#include "status/http_get.hpp"

#include "app/usage_error.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace trace_ctl {

namespace {

constexpr size_t max_response_bytes = 1 << 20;

using Clock = std::chrono::steady_clock;

// A socket that closes itself.
class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits until the socket is ready for `events`; throws when the deadline passes.
void wait_for(int fd, short events, Clock::time_point deadline, const std::string &what) {
    for (;;) {
        struct pollfd p {
            fd, events, 0
        };
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) {
            return;
        }
        if (n == 0) {
            throw HttpError("timed out " + what);
        }
        if (errno != EINTR) {
            throw HttpError(what + ": " + std::strerror(errno));
        }
    }
}

std::unique_ptr<Socket> connect_to(const HttpUrl &url, Clock::time_point deadline) {
    struct addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *found = nullptr;
    int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
    if (rc != 0) {
        throw HttpError("cannot resolve " + url.host + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<struct addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    std::string last_error = "no address";
    for (struct addrinfo *ai = found; ai != nullptr; ai = ai->ai_next) {
        auto sock = std::make_unique<Socket>(::socket(
            ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (sock->fd() < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        if (::connect(sock->fd(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_error = std::strerror(errno);
            continue;
        }
        wait_for(sock->fd(), POLLOUT, deadline, "connecting");
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(sock->fd(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
            return sock;
        }
        last_error = std::strerror(err);
    }
    throw HttpError("cannot connect to " + url.host + ":" + url.port + ": " + last_error);
}

bool request_line_safe(std::string_view s) {
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return true;
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

std::optional<HttpResponse> parse_http_response(std::string_view raw) {
    if (raw.substr(0, 7) != "HTTP/1." || raw.size() < 12 || raw[8] != ' ') {
        return std::nullopt;
    }
    std::string_view code = raw.substr(9, 3);
    if (code.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    size_t end = raw.find("\r\n\r\n");
    size_t skip = 4;
    if (end == std::string_view::npos) {
        end = raw.find("\n\n");
        skip = 2;
    }
    if (end == std::string_view::npos) {
        return std::nullopt;
    }
    HttpResponse r;
    r.status = std::stoi(std::string(code));
    r.body = std::string(raw.substr(end + skip));
    return r;
}

HttpResponse http_get(const HttpUrl &url, std::chrono::milliseconds timeout) {
    Clock::time_point deadline = Clock::now() + timeout;
    std::unique_ptr<Socket> sock = connect_to(url, deadline);
    bool v6 = url.host.find(':') != std::string::npos;
    std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + (v6 ? "[" : "") + url.host +
                          (v6 ? "]" : "") + ":" + url.port +
                          "\r\nUser-Agent: trace-ctl\r\nAccept: application/json\r\n"
                          "Connection: close\r\n\r\n";
    size_t sent = 0;
    while (sent < request.size()) {
        wait_for(sock->fd(), POLLOUT, deadline, "sending the request");
        ssize_t n = ::send(sock->fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            throw HttpError(std::string("sending the request: ") + std::strerror(errno));
        }
        sent += n > 0 ? static_cast<size_t>(n) : 0;
    }
    std::string raw;
    char buf[8192];
    for (;;) {
        wait_for(sock->fd(), POLLIN, deadline, "waiting for the answer");
        ssize_t n = ::recv(sock->fd(), buf, sizeof(buf), 0);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            throw HttpError(std::string("reading the answer: ") + std::strerror(errno));
        }
        raw.append(buf, static_cast<size_t>(n));
        if (raw.size() > max_response_bytes) {
            throw HttpError("the answer is larger than 1 MiB");
        }
    }
    std::optional<HttpResponse> response = parse_http_response(raw);
    if (!response) {
        throw HttpError("the answer is not HTTP");
    }
    return *response;
}

}  // namespace trace_ctl
