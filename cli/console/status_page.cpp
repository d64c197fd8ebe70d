#include "console/status_page.hpp"

#include "console/html.hpp"
#include "status/status.hpp"

namespace trace_ctl {

namespace {

std::string value_html(const nlohmann::ordered_json &v) {
    if (v.is_null()) {
        return "<span class=\"dim\">-</span>";
    }
    if (v.is_string()) {
        return shown(v.get<std::string>());
    }
    if (v.is_object() || v.is_array()) {
        std::string out = "<table><tbody>";
        for (auto it = v.begin(); it != v.end(); ++it) {
            std::string key = v.is_object() ? it.key() : std::to_string(std::distance(v.begin(), it));
            out += "<tr><th>" + shown(key) + "</th><td>" + value_html(*it) + "</td></tr>";
        }
        return out + "</tbody></table>";
    }
    return html_escape(v.dump());
}

std::string sizes(Connection &db, const StatusReport &report) {
    std::string out = "<table><thead><tr><th>table</th><th class=\"num\">rows</th>"
                      "<th class=\"num\">size</th><th>oldest</th><th>newest</th></tr></thead><tbody>";
    for (const TableReport &t : report.tables) {
        std::string size = "-";
        if (t.exists) {
            size = std::string(db.exec_params("SELECT pg_size_pretty(pg_total_relation_size($1::regclass))",
                                              {t.name})
                                   .get(0, 0));
        }
        auto when = [](const std::optional<EpochMicros> &at, const std::optional<double> &age) {
            return at ? html_escape(format_utc_time(*at).substr(0, 19) + "Z" +
                                    (age ? " (" + format_age(*age) + ")" : ""))
                      : std::string("-");
        };
        out += "<tr><td>" + shown(t.name) + "</td><td class=\"num\">" +
               (t.exists ? (t.rows ? std::to_string(*t.rows) : "?") : "missing") +
               "</td><td class=\"num\">" + html_escape(size) + "</td><td>" +
               when(t.oldest, t.oldest_age_seconds) + "</td><td>" +
               when(t.newest, t.newest_age_seconds) + "</td></tr>";
    }
    return out + "</tbody></table>";
}

}  // namespace

PageContent status_page(const Context &ctx, ConnectionPool &pool) {
    StatusReport report = read_status_report(ctx, StatusOptions{});
    nlohmann::ordered_json json = status_json(report);
    PageContent page;
    page.title = "Status";
    page.live = true;
    page.body = std::string("<p class=\"health\">") +
                (report.healthy() ? "All is well." : "Something needs attention.") + "</p>";
    page.body += "<h2>Database</h2>" + value_html(json.value("database", nlohmann::ordered_json()));
    page.body += "<h2>Schema</h2>" + value_html(json.value("schema", nlohmann::ordered_json()));
    if (report.database_reachable && report.database_error.empty()) {
        page.body += "<h2>Tables</h2>" + sizes(**pool.acquire(), report);
    }
    if (report.summaries.exists) {
        page.body += "<h2>Block summaries</h2>" +
                     value_html(json.value("summaries", nlohmann::ordered_json()));
    }
    if (report.rollups.exists) {
        page.body += "<h2>Rollups</h2>" +
                     value_html(json.value("rollups", nlohmann::ordered_json()));
    }
    page.body += "<h2>Module</h2>" + value_html(json.value("module", nlohmann::ordered_json()));
    return page;
}

}  // namespace trace_ctl
