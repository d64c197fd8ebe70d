// trace-ctl serve: the read-only web console over what nginx recorded.

#ifndef TRACE_CTL_CONSOLE_SERVE_HPP
#define TRACE_CTL_CONSOLE_SERVE_HPP

#include "app/context.hpp"
#include "console/listen_address.hpp"

#include <string>

namespace trace_ctl {

struct ServeOptions {
    std::string listen = default_listen;
    std::string htpasswd;  // empty: no authentication of its own
    bool behind_proxy = false;  // a proxy in front authenticates
    double statement_timeout_seconds = 10;
    int threads = 8;
};

// Serves until SIGINT or SIGTERM, then returns exit_ok. A --listen address
// that is not loopback, without --htpasswd or --behind-proxy, is a usage error
// (exit 2), as is a bad --htpasswd file; an address that cannot be bound is
// exit 1.
int run_serve(const Context &ctx, const ServeOptions &opts);

}  // namespace trace_ctl

#endif
