#include "console/request_params.hpp"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>

namespace trace_ctl {

namespace {

// The parameters every listing takes, then those of one.
const std::set<std::string> list_names = {"user", "session", "status", "method", "path",
                                          "host", "client", "since", "until", "limit",
                                          "page", "max_id", "max_time", "format"};
const std::set<std::string> requests_names = {"referer", "user_agent", "upstream_status", "field"};
const std::set<std::string> audit_names = {"action", "failed_only", "summary"};

void check_names(const ParamMap &params, const std::set<std::string> &own) {
    check_no_nul(params);
    for (auto it = params.begin(); it != params.end(); it = params.upper_bound(it->first)) {
        const std::string &name = it->first;
        if (name == "session_token") {
            throw BadRequest("session_token: session tokens are never accepted (a URL lands "
                             "in logs); use session with the stored hash the lists show");
        }
        if (!list_names.count(name) && !own.count(name)) {
            throw BadRequest(name + ": not a parameter of this page");
        }
        if (name != "field" && params.count(name) > 1) {
            throw BadRequest(name + ": given more than once");
        }
    }
}

std::string value_of(const ParamMap &params, const std::string &name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
}

std::int64_t number(const ParamMap &params, const std::string &name, std::int64_t low,
                    std::int64_t high, std::int64_t unset) {
    std::string text = value_of(params, name);
    if (text.empty()) {
        return unset;
    }
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE || v < low || v > high || !std::isdigit(static_cast<unsigned char>(text[0]))) {
        throw BadRequest(name + ": \"" + text + "\" is not a number from " + std::to_string(low) +
                         " to " + std::to_string(high));
    }
    return v;
}

bool flag(const ParamMap &params, const std::string &name) {
    std::string text = value_of(params, name);
    if (text.empty() || text == "0") {
        return false;
    }
    if (text == "1" || text == "on" || text == "true") {
        return true;
    }
    throw BadRequest(name + ": \"" + text + "\" is not 1 or 0");
}

PageFormat format_of(const ParamMap &params) {
    std::string text = value_of(params, "format");
    if (text.empty() || text == "html") {
        return PageFormat::html;
    }
    if (text == "csv") {
        return PageFormat::csv;
    }
    if (text == "json") {
        return PageFormat::json;
    }
    throw BadRequest("format: \"" + text + "\" is not html, csv or json");
}

ListOptions list_options(const ParamMap &params, PageFormat format) {
    ListOptions o;
    o.user = value_of(params, "user");
    o.session = value_of(params, "session");
    o.status = value_of(params, "status");
    o.method = value_of(params, "method");
    o.path = value_of(params, "path");
    o.host = value_of(params, "host");
    o.client = value_of(params, "client");
    o.since = value_of(params, "since");
    o.until = value_of(params, "until");
    o.limit = static_cast<int>(
        number(params, "limit", 1, format == PageFormat::html ? html_limit_max : 100000, 50));
    o.page = static_cast<int>(number(params, "page", 1, 10000000, 1));
    o.max_id = number(params, "max_id", 1, std::numeric_limits<std::int64_t>::max(), 0);
    o.max_time = value_of(params, "max_time");
    return o;
}

}  // namespace

void check_no_nul(const ParamMap &params) {
    for (const auto &[name, value] : params) {
        if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
            throw BadRequest(name.substr(0, name.find('\0')) + ": a NUL byte is not a value");
        }
    }
}

RequestsQuery requests_query(const ParamMap &params) {
    check_names(params, requests_names);
    RequestsQuery q;
    q.format = format_of(params);
    q.list = list_options(params, q.format);
    q.list.referer = value_of(params, "referer");
    q.list.user_agent = value_of(params, "user_agent");
    q.list.upstream_status = value_of(params, "upstream_status");
    auto fields = params.equal_range("field");
    for (auto it = fields.first; it != fields.second; ++it) {
        if (!it->second.empty()) {
            q.list.fields.push_back(it->second);
        }
    }
    return q;
}

AuditQuery audit_query(const ParamMap &params) {
    check_names(params, audit_names);
    AuditQuery q;
    q.format = format_of(params);
    q.audit.list = list_options(params, q.format);
    q.audit.action = value_of(params, "action");
    q.audit.failed_only = flag(params, "failed_only");
    q.audit.summary = flag(params, "summary");
    return q;
}

}  // namespace trace_ctl
