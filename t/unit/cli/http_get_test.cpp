#include "status/http_get.hpp"
#include "app/usage_error.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace trace_ctl;

TEST(HttpUrl, HostPortAndPath) {
    HttpUrl u = parse_http_url("http://127.0.0.1:8080/trace_status?x=1");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, "8080");
    EXPECT_EQ(u.path, "/trace_status?x=1");
    HttpUrl plain = parse_http_url("http://status.example");
    EXPECT_EQ(plain.host, "status.example");
    EXPECT_EQ(plain.port, "80");
    EXPECT_EQ(plain.path, "/");
    HttpUrl v6 = parse_http_url("http://[::1]:81/s");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, "81");
}

TEST(HttpUrl, RefusesWhatItCannotOrShouldNotSend) {
    for (const char *bad :
         {"https://x/", "ftp://x/", "x:80/", "http://", "http://u:p@x/", "http://x:0/",
          "http://x:65536/", "http://x:8o/", "http://::1/", "http://[::1/", "http://x/a b",
          "http://x/\r\nHost: evil", "http://x/\xc3\xa9"}) {
        EXPECT_THROW(parse_http_url(bad), UsageError) << bad;
    }
}

namespace {

// A one-shot server on a loopback port: `answer` decides what it does with
// the connection it accepts.
class OneShotServer {
public:
    explicit OneShotServer(std::function<void(int fd, const std::string &request)> answer) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
        ::listen(fd_, 1);
        socklen_t len = sizeof(addr);
        ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this, answer] {
            int c = ::accept(fd_, nullptr, nullptr);
            char buf[4096];
            ssize_t n = ::recv(c, buf, sizeof(buf), 0);
            answer(c, std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
            ::close(c);
        });
    }
    ~OneShotServer() {
        thread_.join();
        ::close(fd_);
    }
    HttpUrl url() const { return {"127.0.0.1", std::to_string(port_), "/trace_status"}; }

private:
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
};

void send_all(int fd, const std::string &s) {
    ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
}

// What http_get makes of `raw`, sent by a server that then closes.
HttpResponse answer_to(const std::string &raw) {
    OneShotServer server([&](int fd, const std::string &) { send_all(fd, raw); });
    return http_get(server.url(), std::chrono::milliseconds(2000));
}

}  // namespace

TEST(HttpResponse, StatusAndBody) {
    HttpResponse r =
        answer_to("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"a\":1}");
    HttpResponse nf = answer_to("HTTP/1.0 404 Not Found\r\n\r\n");
    EXPECT_EQ(nf.status, 404);
    EXPECT_EQ(nf.body, "");
    for (const char *raw : {"SSH-2.0-OpenSSH\r\n", "HTTP/1.1 200 OK\r\nContent-Type: x\r\n",
                            "HTTP/1.1 2x0 OK\r\n\r\n"}) {
        try {
            answer_to(raw);
            ADD_FAILURE() << "taken for HTTP: " << raw;
        } catch (const HttpError &e) {
            EXPECT_STREQ(e.what(), "the answer is not HTTP") << raw;
        }
    }
}

TEST(HttpGet, SendsAnHttp10GetAndReadsTheAnswer) {
    std::string seen;
    {
        OneShotServer server([&](int fd, const std::string &request) {
            seen = request;
            send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n");
            send_all(fd, "{\"workers\":[]}\n");
        });
        HttpResponse r = http_get(server.url(), std::chrono::milliseconds(2000));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "{\"workers\":[]}\n");
    }
    EXPECT_EQ(seen.rfind("GET /trace_status HTTP/1.0\r\nHost: 127.0.0.1:", 0), 0u) << seen;
}

TEST(HttpGet, GivesUpAtTheDeadline) {
    OneShotServer server([](int, const std::string &) {
        std::this_thread::sleep_for(std::chrono::milliseconds(800));  // and never answers
    });
    auto started = std::chrono::steady_clock::now();
    try {
        http_get(server.url(), std::chrono::milliseconds(200));
        FAIL() << "no timeout";
    } catch (const HttpError &e) {
        EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(700));
}

TEST(HttpGet, SaysWhenNothingListens) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    std::string port = std::to_string(ntohs(addr.sin_port));
    ::close(fd);  // a port that was free a moment ago, with no listener
    try {
        http_get({"127.0.0.1", port, "/"}, std::chrono::milliseconds(1000));
        FAIL() << "connected to nothing";
    } catch (const HttpError &e) {
        EXPECT_NE(std::string(e.what()).find("Connection refused"), std::string::npos) << e.what();
    }
}

TEST(HttpGet, StopsReadingPastOneMebibyte) {
    std::string head = "HTTP/1.0 200 OK\r\n\r\n";
    EXPECT_EQ(answer_to(head + std::string((1 << 20) - head.size(), 'x')).body.size(),
              (1u << 20) - head.size());
    try {
        answer_to(head + std::string(1 << 20, 'x'));
        FAIL() << "more than 1 MiB taken";
    } catch (const HttpError &e) {
        EXPECT_STREQ(e.what(), "the answer is larger than 1 MiB");
    }
}

TEST(HttpGet, ARedirectIsAnAnswerNotFollowed) {
    HttpResponse r = answer_to("HTTP/1.0 302 Found\r\nLocation: https://example.org/s\r\n\r\n");
    EXPECT_EQ(r.status, 302);
}

TEST(HttpGet, AsksTheServerItselfNotAProxy) {
    ::setenv("http_proxy", "http://127.0.0.1:1/", 1);
    HttpResponse r = answer_to("HTTP/1.0 200 OK\r\n\r\nok");
    ::unsetenv("http_proxy");
    EXPECT_EQ(r.body, "ok");
}
