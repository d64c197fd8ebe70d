#include "console/routes.hpp"

#include "app/usage_error.hpp"
#include "console/download.hpp"
#include "console/layout.hpp"
#include "console/list_pages.hpp"
#include "console/overview.hpp"
#include "console/people_pages.hpp"
#include "console/request_params.hpp"
#include "console/status_page.hpp"
#include "records/anchored_page.hpp"
#include "records/requests.hpp"

#include <functional>
#include <memory>

namespace trace_ctl {

namespace {

using Lease = ConnectionPool::Lease;

void answer_html(httplib::Response &res, int status, const std::string &html) {
    res.status = status;
    res.set_content(html, "text/html; charset=utf-8");
}

void answer_error(httplib::Response &res, int status, const std::string &message) {
    answer_html(res, status, render_error(status, message));
}

// The CLI's checks name its options: "--status: ..." reads "status: ..."
// here, and the hint at --session-token goes, since the console takes no token.
std::string console_message(const std::string &message) {
    std::string m = message.rfind("--", 0) == 0 ? message.substr(2) : message;
    size_t hint = m.find(" (use --session-token");
    return hint == std::string::npos ? m : m.substr(0, hint);
}

// Runs a page; every failure is an answer of its own.
void guarded(httplib::Response &res, const ConnectionPool &pool,
             const std::function<void()> &page) {
    try {
        page();
    } catch (const BadRequest &e) {
        answer_error(res, 400, e.what());
    } catch (const ConfigError &e) {
        answer_error(res, 400, console_message(e.what()));
    } catch (const PgError &e) {
        const std::string &state = e.sqlstate();
        if (state.rfind("22", 0) == 0) {
            // A data exception: a value in the request PostgreSQL cannot take.
            answer_error(res, 400, e.primary());
        } else if (state == "57014") {
            answer_error(res, 503,
                         "the query took longer than the statement timeout (" +
                             std::to_string(pool.statement_timeout_ms()) + " ms)");
        } else {
            try {
                explain_failure(e);
            } catch (const PgError &explained) {
                answer_error(res, 503, std::string("database: ") + explained.what());
            }
        }
    }
}

// A page that needs a connection.
using DbPage = std::function<void(const httplib::Request &, httplib::Response &,
                                  std::unique_ptr<Lease> &)>;

httplib::Server::Handler with_db(ConnectionPool &pool, DbPage page) {
    return [&pool, page](const httplib::Request &req, httplib::Response &res) {
        guarded(res, pool, [&] {
            std::unique_ptr<Lease> lease = pool.acquire();
            page(req, res, lease);
        });
    };
}

void show(httplib::Response &res, const PageContent &page) {
    answer_html(res, 200, render_page(page));
}

// What a listing page streams as CSV or JSON: the rows its HTML shows.
struct Download {
    const ColumnSet &set;
    const ListOptions &opts;
    RecordFilter filter;
    PageQuery query;
    std::string name;  // of the file
};

void stream(httplib::Response &res, std::unique_ptr<Lease> &lease, PageFormat format,
            const Download &d) {
    check_regexes(**lease, d.filter);
    Anchor anchor = anchor_of(**lease, d.set, d.opts, d.filter);
    Page statement = anchored_page(d.opts, d.filter, d.query, anchor, 0);
    auto rows = std::make_shared<RowStream>(std::move(lease), d.set, format, statement);
    res.set_header("Content-Disposition", "attachment; filename=\"" + d.name +
                                              (format == PageFormat::csv ? ".csv\"" : ".json\""));
    res.set_chunked_content_provider(
        RowStream::content_type(format), [rows](size_t, httplib::DataSink &sink) {
            std::string chunk;
            try {
                if (!rows->next(chunk)) {
                    sink.done();
                    return true;
                }
            } catch (const std::exception &) {
                // Too late for an error page: cut the answer short, so that
                // the client sees it incomplete rather than as all the rows.
                return false;
            }
            return sink.write(chunk.data(), chunk.size());
        });
}

ParamMap params_of(const httplib::Request &req) {
    return ParamMap(req.params.begin(), req.params.end());
}

// /requests and /audit: the parameters read as `Query`, then the HTML page or
// the same rows as a download (format=csv|json).
template <typename Query>
httplib::Server::Handler listing(
    ConnectionPool &pool, Query (*read)(const ParamMap &),
    std::function<PageContent(Connection &, const Query &, const ParamMap &)> page,
    std::function<Download(const Query &)> download) {
    return with_db(pool, [read, page, download](const httplib::Request &req,
                                                httplib::Response &res,
                                                std::unique_ptr<Lease> &lease) {
        ParamMap params = params_of(req);
        Query q = read(params);
        if (q.format == PageFormat::html) {
            show(res, page(**lease, q, params));
        } else {
            stream(res, lease, q.format, download(q));
        }
    });
}

}  // namespace

void add_routes(httplib::Server &server, const Context &ctx, ConnectionPool &pool) {
    server.Get("/console.css", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(console_css(), "text/css; charset=utf-8");
    });
    server.Get("/console.js", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(console_js(), "text/javascript; charset=utf-8");
    });
    server.Get("/", with_db(pool, [&ctx, &pool](const httplib::Request &req, httplib::Response &res,
                                               std::unique_ptr<Lease> &lease) {
                   show(res, overview_page(pool, **lease, ctx.config,
                                           overview_query(params_of(req))));
               }));
    const Config &config = ctx.config;
    server.Get("/requests",
               listing<RequestsQuery>(
                   pool, requests_query,
                   [&config](Connection &db, const RequestsQuery &q, const ParamMap &params) {
                       return requests_page(db, config, q, params);
                   },
                   [&config](const RequestsQuery &q) {
                       return Download{requests_columns(), q.list,
                                       filter_from_options(q.list, config), requests_page_query(),
                                       "requests"};
                   }));
    server.Get("/audit",
               listing<AuditQuery>(
                   pool, audit_query,
                   [&config](Connection &db, const AuditQuery &q, const ParamMap &params) {
                       return audit_page(db, config, q, params);
                   },
                   [&config](const AuditQuery &q) {
                       return Download{audit_page_columns(q.audit), q.audit.list,
                                       audit_filter(q.audit, config), audit_page_query(q.audit),
                                       q.audit.summary ? "users" : "audit"};
                   }));
    server.Get(R"(/users/(.+))",
               with_db(pool, [&ctx](const httplib::Request &req, httplib::Response &res,
                                    std::unique_ptr<Lease> &lease) {
                   show(res, user_page(**lease, ctx.config, req.matches[1]));
               }));
    server.Get(R"(/sessions/(.+))",
               with_db(pool, [&ctx](const httplib::Request &req, httplib::Response &res,
                                    std::unique_ptr<Lease> &lease) {
                   show(res, session_page(**lease, ctx.config, req.matches[1]));
               }));
    server.Get("/status", [&ctx, &pool](const httplib::Request &, httplib::Response &res) {
        guarded(res, pool, [&] { show(res, status_page(ctx, pool)); });
    });
}

}  // namespace trace_ctl
