// trace-ctl serve: checks what it was asked for (where to listen, who may
// come in), then runs the HTTP server (cpp-httplib, Debian's
// libcpp-httplib-dev) with a pool of worker threads until SIGINT or SIGTERM.
// Every answer carries the security headers; only GET and HEAD are served.

#include "console/serve.hpp"

#include "app/usage_error.hpp"
#include "console/database.hpp"
#include "console/htpasswd.hpp"
#include "console/layout.hpp"
#include "console/routes.hpp"

#include <httplib.h>

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

namespace trace_ctl {

namespace {

// How long libpq may take to connect before a page says the database is away.
constexpr const char *connect_timeout_seconds = "5";

void check_exposure(const ListenAddress &address, const ServeOptions &opts) {
    if (!address.loopback && opts.htpasswd.empty() && !opts.behind_proxy) {
        throw UsageError("--listen " + opts.listen +
                         " is not a loopback address: anyone who reaches it could read every "
                         "record; give --htpasswd FILE, or --behind-proxy when a proxy in "
                         "front authenticates");
    }
}

std::string host_for_url(const ListenAddress &a) {
    return a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
}

// The server refuses anything that would change data, and anyone the
// htpasswd file does not know.
void add_gates(httplib::Server &server, const std::optional<Htpasswd> &users) {
    server.set_pre_routing_handler(
        [&users](const httplib::Request &req, httplib::Response &res) {
            if (req.method != "GET" && req.method != "HEAD") {
                res.status = 405;
                res.set_header("Allow", "GET, HEAD");
                res.set_content(render_error(405, req.method + " is not served: the console "
                                                               "only reads (GET and HEAD)"),
                                "text/html; charset=utf-8");
                return httplib::Server::HandlerResponse::Handled;
            }
            if (users && !users->authorized_user(req.get_header_value("Authorization"))) {
                res.status = 401;
                res.set_header("WWW-Authenticate", "Basic realm=\"trace console\", charset=\"UTF-8\"");
                res.set_content(render_error(401, "a user and password of the --htpasswd file "
                                                  "are needed"),
                                "text/html; charset=utf-8");
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
    server.set_error_handler([](const httplib::Request &, httplib::Response &res) {
        if (res.body.empty() && !res.is_chunked_content_provider_) {
            res.set_content(render_error(res.status, res.status == 404 ? "no such page"
                                                                       : "the request failed"),
                            "text/html; charset=utf-8");
        }
    });
    server.set_exception_handler(
        [](const httplib::Request &, httplib::Response &res, std::exception_ptr e) {
            std::string why = "internal error";
            try {
                std::rethrow_exception(e);
            } catch (const std::exception &ex) {
                why += std::string(": ") + ex.what();
            } catch (...) {
            }
            res.status = 500;
            res.set_content(render_error(500, why), "text/html; charset=utf-8");
        });
    httplib::Headers headers;
    for (const auto &[name, value] : security_headers()) {
        headers.emplace(name, value);
    }
    server.set_default_headers(headers);
}

// SIGINT and SIGTERM are blocked in every thread and taken by one that waits
// for them and stops the server, so that no handler runs in a signal context.
class StopOnSignal {
public:
    explicit StopOnSignal(httplib::Server &server) {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
        waiter_ = std::thread([this, &server] {
            int signal = 0;
            sigwait(&signals_, &signal);
            server.stop();
        });
    }
    ~StopOnSignal() {
        // When the server ended on its own, the waiter is woken up.
        pthread_kill(waiter_.native_handle(), SIGTERM);
        waiter_.join();
    }
    StopOnSignal(const StopOnSignal &) = delete;
    StopOnSignal &operator=(const StopOnSignal &) = delete;

private:
    sigset_t signals_;
    std::thread waiter_;
};

}  // namespace

int run_serve(const Context &ctx, const ServeOptions &opts) {
    ListenAddress address = parse_listen_address(opts.listen);
    check_exposure(address, opts);
    std::optional<Htpasswd> users;
    if (!opts.htpasswd.empty()) {
        users = Htpasswd::load(opts.htpasswd);
    }
    // libpq's defaults for every connection of this process, /status's own
    // included, unless the environment says otherwise.
    setenv("PGCONNECT_TIMEOUT", connect_timeout_seconds, 0);
    int timeout_ms = static_cast<int>(opts.statement_timeout_seconds * 1000);
    std::string pgoptions = std::getenv("PGOPTIONS") ? std::getenv("PGOPTIONS") : "";
    setenv("PGOPTIONS",
           (pgoptions + " -c statement_timeout=" + std::to_string(timeout_ms) +
            " -c default_transaction_read_only=on")
               .c_str(),
           1);
    ConnectionPool pool(ctx.conninfo(), timeout_ms);

    httplib::Server server;
    int threads = opts.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    server.set_payload_max_length(64 * 1024);
    // Headers and body are separate writes: without this, Nagle's algorithm
    // and the client's delayed ACK hold most pages back 40 ms.
    server.set_tcp_nodelay(true);
    server.set_read_timeout(10);
    server.set_write_timeout(30);
    add_gates(server, users);
    add_routes(server, ctx, pool);

    StopOnSignal stop(server);
    if (!server.bind_to_port(address.host, address.port)) {
        throw std::runtime_error("cannot listen on " + opts.listen + ": " + std::strerror(errno));
    }
    std::cout << "trace-ctl serve: listening on http://" << host_for_url(address) << ':'
              << address.port << "/" << std::endl;
    server.listen_after_bind();
    std::cout << "trace-ctl serve: stopped" << std::endl;
    return exit_ok;
}

}  // namespace trace_ctl
