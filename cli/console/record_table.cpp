#include "console/record_table.hpp"

#include "app/time_text.hpp"
#include "console/html.hpp"
#include "records/escaping.hpp"

#include <functional>

namespace trace_ctl {

namespace {

// A row decoded, with the stored values still at hand for filters that
// compare with what is stored (a path's regex).
struct Row {
    const ColumnSet &set;
    const RecordRow &stored;
    RecordRow bytes;

    Row(const ColumnSet &s, const RecordRow &r)
        : set(s), stored(r), bytes(decoded_row(s.columns, r)) {}
    const std::optional<std::string> &operator[](const char *name) const {
        return bytes[set.index_of(name)];
    }
    const std::optional<std::string> &stored_value(const char *name) const {
        return stored[set.index_of(name)];
    }
};

const std::string dash = "<span class=\"dim\">-</span>";

std::string td(const std::string &html, const char *cls = nullptr) {
    return cls ? "<td class=\"" + std::string(cls) + "\">" + html + "</td>" : "<td>" + html + "</td>";
}

std::string text_cell(const std::optional<std::string> &v) {
    return v ? shown(*v) : dash;
}

std::string user_cell(const Row &r) {
    const auto &user = r["user_name"];
    return user ? html_link(user_href(*user), *user) : dash;
}

std::string session_cell(const Row &r) {
    const auto &session = r["session"];
    return session ? html_link(session_href(*session), session->substr(0, 12)) : dash;
}

std::string client_cell(const Row &r, const std::string &list) {
    const auto &client = r["client_addr"];
    return client ? html_link(list + query_string({{"client", *client}}), *client) : dash;
}

// The path links to the list of that exact path: a regex of the stored value,
// which is what --path compares with.
std::string path_cell(const Row &r, const std::string &list, const std::string &shown_text) {
    const auto &path = r.stored_value("path");
    return path ? html_link(list + query_string({{"path", exact_regex(*path)}}), shown_text) : dash;
}

std::string table(const std::vector<std::string> &headers, const std::vector<RecordRow> &rows,
                  const std::function<std::string(const RecordRow &)> &cells) {
    std::string out = "<table><thead><tr>";
    for (const std::string &h : headers) {
        out += "<th>" + h + "</th>";
    }
    out += "</tr></thead><tbody>";
    for (const RecordRow &row : rows) {
        out += "<tr>" + cells(row) + "</tr>";
    }
    return out + "</tbody></table>";
}

}  // namespace

std::string user_href(const std::string &user_bytes) {
    return "/users/" + url_encode(user_bytes);
}

std::string session_href(const std::string &hash) {
    return "/sessions/" + url_encode(hash);
}

std::string time_cell(const std::optional<std::string> &micros) {
    if (!micros) {
        return dash;
    }
    std::optional<long long> v = integer_value(*micros);
    return v ? html_escape(format_utc_time(*v).substr(0, 19) + "Z") : shown(*micros);
}

std::string requests_table(const std::vector<RecordRow> &rows) {
    const ColumnSet &set = requests_columns();
    return table({"time (UTC)", "host", "method", "status", "took", "user", "client", "session",
                  "path", "agent"},
                 rows, [&set](const RecordRow &stored) {
                     Row r(set, stored);
                     std::string path = r["path"].value_or("-");
                     if (r["query"]) {
                         path += "?" + *r["query"];
                     }
                     return td(time_cell(r["ts"])) + td(text_cell(r["host"])) +
                            td(text_cell(r["method"])) + td(text_cell(r["status"]), "num") +
                            td(r["duration"] ? html_escape(format_duration(*r["duration"])) : dash,
                               "num") +
                            td(user_cell(r)) + td(client_cell(r, "/requests")) +
                            td(session_cell(r)) + td(path_cell(r, "/requests", path), "wrap") +
                            td(text_cell(r["user_agent"]), "wrap");
                 });
}

std::string audit_table(const std::vector<RecordRow> &rows, const std::string &list_href) {
    const ColumnSet &set = audit_columns();
    return table({"time (UTC)", "host", "action", "user", "client", "session", "status", "path"},
                 rows, [&set, &list_href](const RecordRow &stored) {
                     Row r(set, stored);
                     return td(time_cell(r["ts"])) + td(text_cell(r["host"])) +
                            td(text_cell(r["action"])) + td(user_cell(r)) +
                            td(client_cell(r, list_href)) + td(session_cell(r)) +
                            td(text_cell(r["status"]), "num") +
                            td(path_cell(r, list_href, r["path"].value_or("-")), "wrap");
                 });
}

std::string summary_table(const std::vector<RecordRow> &rows) {
    const ColumnSet &set = audit_summary_columns();
    return table({"user", "last login (UTC)", "last logout (UTC)", "failed logins",
                  "signed in"},
                 rows, [&set](const RecordRow &stored) {
                     Row r(set, stored);
                     long long open = r["open_sessions"] ? integer_value(*r["open_sessions"]).value_or(0) : 0;
                     std::string signed_in = open == 0   ? "no"
                                             : open == 1 ? "probably"
                                                         : "probably (" + std::to_string(open) + " sessions)";
                     return td(user_cell(r)) + td(time_cell(r["last_login"])) +
                            td(time_cell(r["last_logout"])) +
                            td(text_cell(r["failed_logins"]), "num") + td(signed_in);
                 });
}

std::string open_sessions_table(const std::vector<RecordRow> &rows) {
    const ColumnSet &set = audit_open_sessions_columns();
    return table({"session", "login (UTC)", "last event (UTC)"}, rows,
                 [&set](const RecordRow &stored) {
                     Row r(set, stored);
                     // Basic authentication logs in without a session cookie:
                     // no hash, and no session page to link to.
                     std::string session = r["session"]
                                               ? session_cell(r)
                                               : "<span class=\"dim\">none (no session cookie)</span>";
                     return td(session) + td(time_cell(r["login"])) +
                            td(time_cell(r["last_event"]));
                 });
}

}  // namespace trace_ctl
