#include "console/people_pages.hpp"

#include "app/time_text.hpp"
#include "console/html.hpp"
#include "console/record_table.hpp"
#include "records/anchored_page.hpp"
#include "records/audit.hpp"
#include "records/audit_summary.hpp"
#include "records/requests.hpp"

#include <algorithm>

namespace trace_ctl {

namespace {

constexpr int recent_rows = 20;
constexpr int session_rows = 1000;
constexpr int open_session_rows = 20;

PageRows audit_rows(Connection &db, const Config &config, AuditOptions opts) {
    RecordFilter filter = audit_filter(opts, config);
    return read_page(db, audit_page_columns(opts), opts.list, filter, audit_page_query(opts));
}

PageRows request_rows(Connection &db, const Config &config, const ListOptions &opts) {
    return read_page(db, requests_columns(), opts, filter_from_options(opts, config),
                     requests_page_query());
}

std::string more_link(const PageRows &rows, const std::string &href) {
    return rows.more ? "<p><a href=\"" + html_escape(href) + "\">all of them</a></p>" : "";
}

std::optional<long long> column_micros(const ColumnSet &set, const RecordRow &row,
                                       const char *name) {
    const auto &v = row[set.index_of(name)];
    return v ? integer_value(*v) : std::nullopt;
}

// Which sessions make the summary say "probably": the same window, the same
// filter of the user (the stored name and whether it is escaped) and the
// same rule (records/audit_summary.hpp).
std::string open_sessions_section(Connection &db, const Config &config, const std::string &user) {
    AuditOptions opts;
    opts.summary = true;
    opts.list.user = user;
    opts.list.limit = open_session_rows;
    const ColumnSet &set = audit_open_sessions_columns();
    PageRows open = read_page(db, set, opts.list, audit_filter(opts, config), open_sessions_query);
    std::string out = "<h2>Open sessions</h2>";
    if (open.rows.empty()) {
        return out + "<p>None in the last 7 days.</p>";
    }
    out += open_sessions_table(open.rows);
    if (open.more) {
        const auto &all = open.rows.front()[set.index_of("open_in_all")];
        long long hidden = (all ? integer_value(*all).value_or(0) : 0) -
                           static_cast<long long>(open.rows.size());
        out += "<p class=\"more-sessions\">" + std::to_string(hidden) +
               " more open sessions, older, not shown.</p>";
    }
    return out;
}

}  // namespace

PageContent user_page(Connection &db, const Config &config, const std::string &user) {
    AuditOptions summary;
    summary.summary = true;
    summary.list.user = user;
    summary.list.limit = 1;
    PageRows judged = audit_rows(db, config, summary);

    AuditOptions events;
    events.list.user = user;
    events.list.limit = recent_rows;
    PageRows audit = audit_rows(db, config, events);

    ListOptions requests;
    requests.user = user;
    requests.limit = recent_rows;
    PageRows recent = request_rows(db, config, requests);

    std::string filter = query_string({{"user", user}});
    PageContent page;
    page.title = "User";
    page.live = true;
    page.body = "<p class=\"who\">" + shown(user) + "</p>";
    if (judged.rows.empty()) {
        page.body += "<p>No logins, logouts or failed logins in the last 7 days.</p>";
    } else {
        page.body += "<h2>Last 7 days</h2>" + summary_table(judged.rows) +
                     open_sessions_section(db, config, user);
    }
    page.body += "<h2>Audit events</h2>" + audit_table(audit.rows, "/audit") +
                 more_link(audit, "/audit" + filter) + "<h2>Recent requests</h2>" +
                 requests_table(recent.rows) + more_link(recent, "/requests" + filter);
    return page;
}

PageContent session_page(Connection &db, const Config &config, const std::string &hash) {
    AuditOptions events;
    events.list.session = hash;
    events.list.limit = session_rows;
    PageRows audit = audit_rows(db, config, events);
    std::reverse(audit.rows.begin(), audit.rows.end());

    ListOptions requests;
    requests.session = hash;
    requests.limit = session_rows;
    PageRows in_session = request_rows(db, config, requests);
    std::reverse(in_session.rows.begin(), in_session.rows.end());

    // The session's first login and its last logout, and how long between.
    const ColumnSet &set = audit_columns();
    std::optional<long long> login;
    std::optional<long long> logout;
    for (const RecordRow &row : audit.rows) {
        const auto &action = row[set.index_of("action")];
        if (action == std::optional<std::string>("login") && !login) {
            login = column_micros(set, row, "ts");
        } else if (action == std::optional<std::string>("logout")) {
            logout = column_micros(set, row, "ts");
        }
    }
    std::string lasted = "unknown (no login recorded)";
    if (login && logout && *logout >= *login) {
        lasted = format_duration(std::to_string((*logout - *login) / 1e6));
    } else if (login) {
        lasted = "no logout recorded: still open, or it expired";
    }
    std::string filter = query_string({{"session", hash}});
    PageContent page;
    page.title = "Session";
    page.live = true;
    page.body = "<p class=\"who\">" + shown(hash) + "</p><table><tbody>"
                "<tr><th>login</th><td>" + time_cell(login ? std::optional<std::string>(std::to_string(*login)) : std::nullopt) +
                "</td></tr><tr><th>logout</th><td>" +
                time_cell(logout ? std::optional<std::string>(std::to_string(*logout)) : std::nullopt) +
                "</td></tr><tr><th>lasted</th><td class=\"lasted\">" + html_escape(lasted) +
                "</td></tr></tbody></table>"
                "<h2>Audit events, in order</h2>" + audit_table(audit.rows, "/audit") +
                "<h2>Requests, in order</h2>" + requests_table(in_session.rows) +
                more_link(in_session, "/requests" + filter);
    return page;
}

}  // namespace trace_ctl
