// --listen ADDR:PORT: where the console listens, and whether only this machine
// can reach it (a loopback address), which decides whether it may run without
// --htpasswd or --behind-proxy.

#ifndef TRACE_CTL_CONSOLE_LISTEN_ADDRESS_HPP
#define TRACE_CTL_CONSOLE_LISTEN_ADDRESS_HPP

#include <string>
#include <string_view>

namespace trace_ctl {

inline constexpr const char *default_listen = "127.0.0.1:8470";

struct ListenAddress {
    std::string host;  // an IP address, without brackets
    int port = 0;
    bool loopback = false;  // 127.0.0.0/8 or ::1
};

// "127.0.0.1:8470", "[::1]:8470", "0.0.0.0:80", "localhost:8470". Only IP
// addresses and localhost: a name that resolves elsewhere would make the
// loopback check a guess. Throws UsageError.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace trace_ctl

#endif
