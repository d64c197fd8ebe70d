#include "console/listen_address.hpp"

#include "app/usage_error.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace trace_ctl {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string &why) {
    throw UsageError("--listen: \"" + std::string(text) + "\" " + why);
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        bad(text, "is not ADDR:PORT (127.0.0.1:8470, [::1]:8470)");
    }
    std::string host(text.substr(0, colon));
    std::string port(text.substr(colon + 1));
    bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) {
        host = host.substr(1, host.size() - 2);
    }
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
        bad(text, "has no port from 1 to 65535");
    }
    ListenAddress a;
    a.port = std::stoi(port);
    if (host == "localhost") {
        a.host = "127.0.0.1";
        a.loopback = true;
        return a;
    }
    unsigned char buf[16];
    if (!bracketed && inet_pton(AF_INET, host.c_str(), buf) == 1) {
        a.loopback = buf[0] == 127;
    } else if (inet_pton(AF_INET6, host.c_str(), buf) == 1 && (bracketed || host.find(':') != std::string::npos)) {
        static const unsigned char v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                      0, 0, 0, 0, 0, 0, 0, 1};
        a.loopback = std::equal(buf, buf + 16, v6_loopback);
    } else {
        bad(text, "has no IP address (127.0.0.1, [::1], 0.0.0.0, [::]) or localhost");
    }
    a.host = host;
    return a;
}

}  // namespace trace_ctl
