#include "console/overview.hpp"

#include "console/html.hpp"
#include "console/overview_window.hpp"
#include "console/svg_chart.hpp"
#include "records/escaping.hpp"

#include <map>

namespace trace_ctl {

namespace {

constexpr int top_rows = 10;

struct StatusClass {
    const char *name;  // the --status value that lists it
    const char *condition;
};
const StatusClass status_classes[] = {
    {"1xx", "status < 200"},
    {"2xx", "status BETWEEN 200 AND 299"},
    {"3xx", "status BETWEEN 300 AND 399"},
    {"4xx", "status BETWEEN 400 AND 499"},
    {"5xx", "status >= 500"},
};
const char *const audit_actions[] = {"login", "logout", "login_failed"};

// Per bucket: requests per status class, latency percentiles (seconds; -1
// when no request in it), bytes; audit events per action.
struct Bucket {
    double classes[5] = {0, 0, 0, 0, 0};
    double latency[3] = {-1, -1, -1};
    double bytes = 0;
    double actions[3] = {0, 0, 0};
};

std::string bucket_sql(const Window &w) {
    return "floor(extract(epoch FROM ts) / " + std::to_string(w.bucket_seconds) + ")::bigint";
}

double number_at(const Result &r, int row, int col, double unset) {
    return r.is_null(row, col) ? unset : std::stod(std::string(r.get(row, col)));
}

std::map<std::int64_t, Bucket> read_buckets(Connection &db, const Window &w) {
    std::map<std::int64_t, Bucket> buckets;
    for (std::int64_t n = w.start / 1000000 / w.bucket_seconds;
         n <= (w.end - 1) / 1000000 / w.bucket_seconds; ++n) {
        buckets[n];
    }
    WhereClause where = build_where(w.filter());
    std::string sql = "SELECT " + bucket_sql(w);
    for (const StatusClass &c : status_classes) {
        sql += ", count(*) FILTER (WHERE " + std::string(c.condition) + ")";
    }
    for (const char *p : {"0.5", "0.95", "0.99"}) {
        sql += ", percentile_cont(" + std::string(p) +
               ") WITHIN GROUP (ORDER BY extract(epoch FROM duration))";
    }
    sql += ", coalesce(sum(bytes_sent), 0) FROM trace.requests " + where.sql +
           " GROUP BY 1 ORDER BY 1";
    Result r = db.exec_params(sql, where.params);
    for (int i = 0; i < r.rows(); ++i) {
        Bucket &b = buckets[r.get_int(i, 0)];
        for (int c = 0; c < 5; ++c) {
            b.classes[c] = number_at(r, i, 1 + c, 0);
        }
        for (int p = 0; p < 3; ++p) {
            b.latency[p] = number_at(r, i, 6 + p, -1);
        }
        b.bytes = number_at(r, i, 9, 0);
    }
    std::string audit_sql = "SELECT " + bucket_sql(w);
    for (const char *a : audit_actions) {
        audit_sql += ", count(*) FILTER (WHERE action = '" + std::string(a) + "')";
    }
    audit_sql += " FROM trace.audit " + where.sql + " GROUP BY 1 ORDER BY 1";
    Result audit = db.exec_params(audit_sql, where.params);
    for (int i = 0; i < audit.rows(); ++i) {
        Bucket &b = buckets[audit.get_int(i, 0)];
        for (int a = 0; a < 3; ++a) {
            b.actions[a] = number_at(audit, i, 1 + a, 0);
        }
    }
    return buckets;
}

std::string href(const std::string &list, QueryParams params) {
    return list + query_string(params);
}

QueryParams plus(QueryParams params, const std::string &name, const std::string &value) {
    params.emplace_back(name, value);
    return params;
}

std::string charts(const Window &w, const std::map<std::int64_t, Bucket> &buckets) {
    std::vector<ChartBucket> requests;
    std::vector<ChartBucket> latency;
    std::vector<ChartBucket> audit;
    std::vector<ChartBucket> bytes;
    double totals[5] = {0, 0, 0, 0, 0};
    double audit_totals[3] = {0, 0, 0};
    for (const auto &[n, b] : buckets) {
        QueryParams in = w.params(w.bucket_start(n), w.bucket_start(n + 1));
        std::string label = w.bucket_label(n);
        ChartBucket r{label, {}, {}};
        for (int c = 0; c < 5; ++c) {
            r.values.push_back(b.classes[c]);
            r.hrefs.push_back(href("/requests", plus(in, "status", status_classes[c].name)));
            totals[c] += b.classes[c];
        }
        requests.push_back(r);
        ChartBucket l{label, {}, {}};
        for (int p = 0; p < 3; ++p) {
            l.values.push_back(b.latency[p] < 0 ? -1 : b.latency[p] * 1000);
            l.hrefs.push_back(href("/requests", in));
        }
        latency.push_back(l);
        ChartBucket a{label, {}, {}};
        for (int k = 0; k < 3; ++k) {
            a.values.push_back(b.actions[k]);
            a.hrefs.push_back(href("/audit", plus(in, "action", audit_actions[k])));
            audit_totals[k] += b.actions[k];
        }
        audit.push_back(a);
        bytes.push_back({label, {b.bytes}, {href("/requests", in)}});
    }
    std::vector<ChartSeries> classes = {
        {"1xx", "s1"}, {"2xx", "s2"}, {"3xx", "s3"}, {"4xx", "s4"}, {"5xx", "s5"}};
    std::vector<ChartSeries> percentiles = {{"p50", "p50"}, {"p95", "p95"}, {"p99", "p99"}};
    std::vector<ChartSeries> actions = {
        {"logins", "login"}, {"logouts", "logout"}, {"failed logins", "login_failed"}};
    double all = totals[0] + totals[1] + totals[2] + totals[3] + totals[4];
    std::string summary = "<p class=\"totals\"><a href=\"" + html_escape(href("/requests", w.params())) +
                          "\"><span class=\"total-requests\">" + short_number(all) +
                          "</span> requests</a>, <a href=\"" +
                          html_escape(href("/requests", plus(w.params(), "status", "5xx"))) +
                          "\">" + short_number(totals[4]) + " 5xx</a>, <a href=\"" +
                          html_escape(href("/requests", plus(w.params(), "status", "4xx"))) +
                          "\">" + short_number(totals[3]) + " 4xx</a>; <a href=\"" +
                          html_escape(href("/audit", plus(w.params(), "action", "login"))) +
                          "\"><span class=\"total-logins\">" + short_number(audit_totals[0]) +
                          "</span> logins</a>, <a href=\"" +
                          html_escape(href("/audit", plus(w.params(), "action", "login_failed"))) +
                          "\"><span class=\"total-failed\">" + short_number(audit_totals[2]) +
                          "</span> failed logins</a></p>";
    return summary + "<div class=\"panels\">" +
           "<div class=\"panel\"><h2>Requests by status</h2>" + chart_legend(classes) +
           stacked_bar_chart(classes, requests, "") + "</div>" +
           "<div class=\"panel\"><h2>Latency</h2>" + chart_legend(percentiles) +
           line_chart(percentiles, latency, " ms") + "</div>" +
           "<div class=\"panel\"><h2>Logins and logouts</h2>" + chart_legend(actions) +
           stacked_bar_chart(actions, audit, "") + "</div>" +
           "<div class=\"panel\"><h2>Bytes sent</h2>" +
           stacked_bar_chart({{"bytes", "bytes"}}, bytes, " B") + "</div></div>";
}

// A top list of one column of trace.requests; the names come from this file
// only. `extra` filters more (the error statuses); `p95` ranks by latency.
struct TopList {
    const char *title;
    const char *column;
    const char *param;  // the list's parameter that selects one value
    bool errors_only;
    bool by_p95;
};

std::string top_table(Connection &db, const Window &w, const TopList &top) {
    RecordFilter filter = w.filter();
    if (top.errors_only) {
        filter.statuses = parse_status_list("4xx,5xx");
    }
    WhereClause where = build_where(filter);
    const std::string col = top.column;
    std::string rank = top.by_p95
                           ? "percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM duration))"
                           : "count(*)";
    std::string sql = "SELECT " + col + ", coalesce('" + col + "' = ANY(escaped), false), " +
                      rank + ", count(*) FROM trace.requests " + where.sql + " AND " + col +
                      " IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC NULLS LAST, 1 LIMIT " +
                      std::to_string(top_rows);
    Result r = db.exec_params(sql, where.params);
    std::string out = "<div class=\"panel top\"><h2>" + std::string(top.title) +
                      "</h2><table><tbody>";
    for (int i = 0; i < r.rows(); ++i) {
        std::string stored(r.get(i, 0));
        bool escaped = r.get(i, 1) == "t";
        std::string bytes = stored_bytes(stored, escaped);
        // A path is matched by regex against what is stored; the others by value.
        std::string value = col == "path" ? exact_regex(stored) : bytes;
        // User agents have no filter of their own: the row goes to the window.
        QueryParams params = *top.param ? plus(w.params(), top.param, value) : w.params();
        if (top.errors_only) {
            params.emplace_back("status", "4xx,5xx");
        }
        std::string figure = top.by_p95 ? short_number(number_at(r, i, 2, 0) * 1000) + " ms"
                                        : short_number(number_at(r, i, 2, 0));
        out += "<tr><td class=\"wrap\">" + html_link(href("/requests", params), bytes) +
               "</td><td class=\"num\">" + html_escape(figure) + "</td></tr>";
    }
    if (r.rows() == 0) {
        out += "<tr><td class=\"dim\">none</td></tr>";
    }
    return out + "</tbody></table></div>";
}

std::string window_form(const OverviewQuery &q) {
    std::string out = "<form class=\"filters\" method=\"get\" action=\"/\">";
    for (const auto &[name, value, hint] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"since", q.since, "1h, 24h, 7d"}, {"until", q.until, "time"}, {"host", q.host, "trace host"}}) {
        out += "<label>" + name + "<input name=\"" + name + "\" value=\"" + html_escape(value) +
               "\" placeholder=\"" + hint + "\"></label>";
    }
    out += "<button type=\"submit\">Show</button>";
    for (const char *since : {"1h", "24h", "7d"}) {
        out += " <a href=\"/" + query_string({{"since", since}, {"host", q.host}}) + "\">" +
               since + "</a>";
    }
    return out + "</form>";
}

}  // namespace

OverviewQuery overview_query(const ParamMap &params) {
    check_no_nul(params);
    OverviewQuery q;
    for (const auto &[name, value] : params) {
        if (params.count(name) > 1) {
            throw BadRequest(name + ": given more than once");
        }
        if (name == "since") {
            q.since = value.empty() ? q.since : value;
        } else if (name == "until") {
            q.until = value;
        } else if (name == "host") {
            q.host = value;
        } else {
            throw BadRequest(name + ": not a parameter of this page (since, until, host)");
        }
    }
    return q;
}

PageContent overview_page(Connection &db, const Config &, const OverviewQuery &q) {
    Window w = resolve_window(db, q.since, q.until, q.host);
    PageContent page;
    page.title = "Overview";
    page.live = q.until.empty();
    page.body = window_form(q) + "<p class=\"dim\">" +
                html_escape(format_utc_time(w.start).substr(0, 19) + "Z to " +
                            format_utc_time(w.end).substr(0, 19) + "Z, bars of " +
                            short_number(static_cast<double>(w.bucket_seconds) / 60) + " min") +
                "</p>" + charts(w, read_buckets(db, w)) + "<div class=\"panels\">";
    static const TopList tops[] = {
        {"Top paths", "path", "path", false, false},
        {"Top error paths (4xx, 5xx)", "path", "path", true, false},
        {"Slowest paths (p95)", "path", "path", false, true},
        {"Top users", "user_name", "user", false, false},
        {"Top clients", "client_addr", "client", false, false},
        {"Top user agents", "user_agent", "", false, false},
    };
    for (const TopList &top : tops) {
        page.body += top_table(db, w, top);
    }
    page.body += "</div>";
    return page;
}

}  // namespace trace_ctl
