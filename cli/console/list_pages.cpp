#include "console/list_pages.hpp"

#include "console/html.hpp"
#include "console/record_table.hpp"
#include "records/anchored_page.hpp"
#include "records/requests.hpp"

namespace trace_ctl {

namespace {

struct FormField {
    const char *name;
    const char *label;
    const char *hint;
};

std::string filter_form(const std::string &action, const std::vector<FormField> &fields,
                        const ParamMap &params, const std::string &extra) {
    std::string out = "<form class=\"filters\" method=\"get\" action=\"" + action + "\">";
    for (const FormField &f : fields) {
        auto it = params.find(f.name);
        std::string value = it == params.end() ? "" : it->second;
        out += std::string("<label>") + f.label + "<input name=\"" + f.name + "\" value=\"" +
               html_escape(value) + "\" placeholder=\"" + f.hint + "\"></label>";
    }
    return out + extra + "<button type=\"submit\">Show</button> <a href=\"" + action +
           "\">clear</a></form>";
}

// The page's parameters without those that place a page, to build links from.
QueryParams kept_params(const ParamMap &params) {
    QueryParams kept;
    for (const auto &[name, value] : params) {
        if (name != "page" && name != "max_id" && name != "max_time" && name != "format") {
            kept.emplace_back(name, value);
        }
    }
    return kept;
}

QueryParams with_anchor(QueryParams params, int page, const Anchor &anchor) {
    params.emplace_back("page", std::to_string(page));
    params.emplace_back("max_id", std::to_string(anchor.id));
    if (anchor.ts) {
        params.emplace_back("max_time", format_utc_time(*anchor.ts));
    }
    return params;
}

// "requests 51-100 (page 2, newest first)", the pager and the downloads.
std::string pager(const std::string &path, const std::string &noun, const ListOptions &opts,
                  const PageRows &page, const ParamMap &params) {
    QueryParams kept = kept_params(params);
    std::string out = "<p class=\"pager\">";
    if (page.rows.empty()) {
        out += opts.page == 1 ? "No " + noun + " match." : "Page " + std::to_string(opts.page) + " is empty.";
    } else {
        long long first = static_cast<long long>(opts.page - 1) * opts.limit + 1;
        out += "<span class=\"count\">" + noun + " " + std::to_string(first) + "-" +
               std::to_string(first + static_cast<long long>(page.rows.size()) - 1) + " (page " +
               std::to_string(opts.page) + ", newest first)</span> ";
    }
    if (opts.page > 1) {
        out += "<a rel=\"prev\" href=\"" +
               html_escape(path + query_string(with_anchor(kept, opts.page - 1, page.anchor))) +
               "\">newer</a>";
    }
    if (page.more) {
        out += "<a rel=\"next\" href=\"" +
               html_escape(path + query_string(with_anchor(kept, opts.page + 1, page.anchor))) +
               "\">older</a>";
    }
    if (opts.page > 1 || opts.max_id != 0) {
        out += "<a href=\"" + html_escape(path + query_string(kept)) + "\">newest</a>";
    }
    for (const char *format : {"csv", "json"}) {
        QueryParams download = with_anchor(kept, opts.page, page.anchor);
        download.emplace_back("format", format);
        out += "<a class=\"download\" href=\"" + html_escape(path + query_string(download)) +
               "\">" + format + "</a>";
    }
    return out + "</p>";
}

const std::vector<FormField> common_fields = {
    {"user", "user", "exact name"},
    {"session", "session", "hash or 8+ digits"},
    {"host", "host", "trace host"},
    {"client", "client", "10.0.0.0/8"},
    {"path", "path", "regex: ^/api/"},
    {"since", "since", "1h, 2024-05-01"},
    {"until", "until", "time"},
    {"limit", "limit", "50"},
};

}  // namespace

PageContent requests_page(Connection &db, const Config &config, const RequestsQuery &q,
                          const ParamMap &params) {
    RecordFilter filter = filter_from_options(q.list, config);
    check_regexes(db, filter);
    PageRows page = read_page(db, requests_columns(), q.list, filter, requests_page_query());
    std::vector<FormField> fields = common_fields;
    fields.insert(fields.begin() + 2, {{"status", "status", "5xx,404"}, {"method", "method", "GET,POST"}});
    fields.push_back({"referer", "referer", "regex"});
    fields.push_back({"user_agent", "user agent", "regex"});
    fields.push_back({"upstream_status", "upstream", "502,5xx"});
    PageContent content;
    content.title = "Requests";
    content.live = q.list.page == 1 && q.list.max_id == 0;
    content.body = filter_form("/requests", fields, params, "") +
                   pager("/requests", "requests", q.list, page, params) +
                   requests_table(page.rows);
    return content;
}

PageContent audit_page(Connection &db, const Config &config, const AuditQuery &q,
                       const ParamMap &params) {
    RecordFilter filter = audit_filter(q.audit, config);
    check_regexes(db, filter);
    PageRows page = read_page(db, audit_page_columns(q.audit), q.audit.list, filter,
                              audit_page_query(q.audit));
    std::vector<FormField> fields = common_fields;
    std::string extra = "<input type=\"hidden\" name=\"summary\" value=\"1\">";
    if (!q.audit.summary) {
        fields.insert(fields.begin() + 2, {"action", "action", "login,logout,login_failed"});
        extra.clear();
    }
    PageContent content;
    content.title = q.audit.summary ? "Users (audit summary)" : "Audit events";
    content.live = q.audit.list.page == 1 && q.audit.list.max_id == 0;
    std::string noun = q.audit.summary ? "users" : "audit events";
    content.body = filter_form("/audit", fields, params, extra) +
                   (q.audit.summary ? "<p class=\"dim\">Signed in: probably, when a login is "
                                      "not closed by a later logout of its session (sessions "
                                      "also end by expiring, which nginx never sees). Default "
                                      "window: the last 7 days.</p>"
                                    : "") +
                   pager("/audit", noun, q.audit.list, page, params) +
                   (q.audit.summary ? summary_table(page.rows) : audit_table(page.rows, "/audit"));
    return content;
}

}  // namespace trace_ctl
