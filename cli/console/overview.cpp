#include "console/overview.hpp"

#include "console/html.hpp"
#include "console/overview_data.hpp"
#include "console/overview_window.hpp"
#include "console/svg_chart.hpp"
#include "records/escaping.hpp"

#include <map>

namespace trace_ctl {

namespace {

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
        // One segment per series, each linking to the bucket's list narrowed
        // by the series' own parameter (status=5xx, action=login).
        auto segments = [&](const double *values, int count, const char *list, const char *param,
                            const char *const *names, double *sums) {
            ChartBucket c{label, {}, {}};
            for (int k = 0; k < count; ++k) {
                c.values.push_back(values[k]);
                c.hrefs.push_back(href(list, plus(in, param, names[k])));
                sums[k] += values[k];
            }
            return c;
        };
        requests.push_back(segments(b.classes, 5, "/requests", "status", status_class_names, totals));
        audit.push_back(segments(b.actions, 3, "/audit", "action", audit_action_names, audit_totals));
        ChartBucket l{label, {}, {}};
        for (double p : b.latency) {
            l.values.push_back(p < 0 ? -1 : p * 1000);
            l.hrefs.push_back(href("/requests", in));
        }
        latency.push_back(l);
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

// A top list: each value links to the window's requests with it (a path or a
// user agent by the regex that matches exactly its stored form, which --path
// and --user-agent compare with).
struct TopList {
    const char *title;
    const std::vector<TopRow> &rows;
    const char *param;  // the list's parameter that selects one value
    const char *extra_status;  // the list's status too, or ""
    bool seconds;  // the figure is a latency
};

std::string top_table(const Window &w, const TopList &top) {
    std::string out = "<div class=\"panel top\"><h2>" + std::string(top.title) +
                      "</h2><table><tbody>";
    for (const TopRow &row : top.rows) {
        std::string bytes = stored_bytes(row.stored, row.escaped);
        std::string param = top.param;
        std::string value =
            param == "path" || param == "user_agent" ? exact_regex(row.stored) : bytes;
        QueryParams params = plus(w.params(), param, value);
        params.emplace_back("status", top.extra_status);
        std::string figure = top.seconds ? short_number(row.figure * 1000) + " ms"
                                         : short_number(row.figure);
        out += "<tr><td class=\"wrap\">" + html_link(href("/requests", params), bytes) +
               "</td><td class=\"num\">" + html_escape(figure) + "</td></tr>";
    }
    if (top.rows.empty()) {
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

PageContent overview_page(ConnectionPool &pool, Connection &db, const Config &,
                          const OverviewQuery &q) {
    Window w = resolve_window(db, q.since, q.until, q.host);
    PageContent page;
    page.title = "Overview";
    page.live = q.until.empty();
    page.body = window_form(q) + "<p class=\"dim\">" +
                html_escape(format_utc_time(w.start).substr(0, 19) + "Z to " +
                            format_utc_time(w.end).substr(0, 19) + "Z, bars of " +
                            short_number(static_cast<double>(w.bucket_seconds) / 60) + " min") +
                "</p>";
    OverviewData data = read_overview(pool, db, w);
    page.body += charts(w, data.buckets) + "<div class=\"panels\">";
    const Tops &t = data.tops;
    const TopList tops[] = {
        {"Top paths", t.paths, "path", "", false},
        {"Top error paths (4xx, 5xx)", t.error_paths, "path", "4xx,5xx", false},
        {"Slowest paths (p95)", t.slowest_paths, "path", "", true},
        {"Top users", t.users, "user", "", false},
        {"Top clients", t.clients, "client", "", false},
        {"Top user agents", t.agents, "user_agent", "", false},
    };
    for (const TopList &top : tops) {
        page.body += top_table(w, top);
    }
    page.body += "</div>";
    return page;
}

}  // namespace trace_ctl
