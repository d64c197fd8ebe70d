#include "records/columns.hpp"

#include "app/time_text.hpp"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace trace_ctl {

namespace {

// --session accepts any prefix of 8 or more: what the column shows, even when
// a narrow terminal cuts it (without an ellipsis).
constexpr size_t session_shown = 12;
constexpr size_t session_prefix_min = 8;

RecordColumn plain(const std::string &name, ColumnKind kind = ColumnKind::text) {
    return {name, name, kind};
}

// Which values of the row are escaped (records/escaping.hpp).
RecordColumn escaped_column() {
    return {"escaped", "to_json(escaped)", ColumnKind::names};
}

RecordColumn ts_column() {
    return {"ts", epoch_micros_sql("ts"), ColumnKind::time};
}

std::string or_dash(const std::optional<std::string> &v) {
    return v ? *v : "-";
}

// Cell makers: each looks its column up once, when the set is built.
std::function<std::string(const RecordRow &)> value_of(const ColumnSet &set,
                                                       const std::string &name) {
    size_t i = set.index_of(name);
    return [i](const RecordRow &r) { return or_dash(r[i]); };
}

std::function<std::string(const RecordRow &)> local_time_of(const ColumnSet &set,
                                                            const std::string &name) {
    size_t i = set.index_of(name);
    return [i](const RecordRow &r) {
        return r[i] ? format_local_time(std::stoll(*r[i])) : std::string("-");
    };
}

std::function<std::string(const RecordRow &)> session_of(const ColumnSet &set) {
    size_t i = set.index_of("session");
    return [i](const RecordRow &r) { return r[i] ? r[i]->substr(0, session_shown) : "-"; };
}

TextField time_field(const ColumnSet &set, const std::string &header, const std::string &name) {
    return {{header, false, 19, 19, 0, 0}, local_time_of(set, name)};
}

TextField host_field(const ColumnSet &set) {
    return {{"HOST", false, 4, 20, 3, 6}, value_of(set, "host"), true};
}

TextField user_field(const ColumnSet &set) {
    return {{"USER", false, 4, 20, 2, 10}, value_of(set, "user_name")};
}

TextField client_field(const ColumnSet &set) {
    return {{"CLIENT", false, 15, 39, 2, 15}, value_of(set, "client_addr")};
}

TextField session_field(const ColumnSet &set) {
    return {{"SESSION", false, session_prefix_min, session_shown, 2, session_shown, true},
            session_of(set)};
}

ColumnSet make_requests() {
    ColumnSet set;
    set.table = "trace.requests";
    set.command = "requests";
    set.noun = "requests";
    set.columns = {plain("id", ColumnKind::integer),
                   ts_column(),
                   plain("host"),
                   plain("server_name"),
                   plain("method"),
                   plain("path"),
                   plain("query"),
                   plain("status", ColumnKind::integer),
                   {"duration", "extract(epoch FROM duration)", ColumnKind::seconds},
                   plain("user_name"),
                   plain("session"),
                   plain("client_addr"),
                   plain("bytes_sent", ColumnKind::integer),
                   plain("user_agent"),
                   plain("request_id"),
                   escaped_column(),
                   plain("malformed", ColumnKind::boolean),
                   plain("referer"),
                   plain("protocol"),
                   plain("scheme"),
                   plain("request_length", ColumnKind::integer),
                   plain("upstream_addr"),
                   plain("upstream_status"),
                   plain("upstream_response_time"),
                   plain("fields", ColumnKind::json)};
    size_t path = set.index_of("path");
    size_t query = set.index_of("query");
    size_t duration = set.index_of("duration");
    set.text = {
        time_field(set, "TIME", "ts"),
        host_field(set),
        {{"METHOD", false, 6, 8, 0, 6}, value_of(set, "method")},
        {{"ST", true, 3, 3, 0, 3}, value_of(set, "status")},
        {{"TOOK", true, 4, 7, 0, 6},
         [duration](const RecordRow &r) {
             return r[duration] ? format_duration(*r[duration]) : "-";
         }},
        user_field(set),
        client_field(set),
        session_field(set),
        // Cut before PATH is, as long as it is the wider; left out where there
        // is no room for it.
        {{"AGENT", false, 5, 30, 1, 12}, value_of(set, "user_agent"), false, true},
        {{"PATH", false, 20, 0, 1, 0},
         [path, query](const RecordRow &r) {
             std::string shown = or_dash(r[path]);
             return r[query] ? shown + "?" + *r[query] : shown;
         }},
    };
    return set;
}

ColumnSet make_audit() {
    ColumnSet set;
    set.table = "trace.audit";
    set.command = "audit";
    set.noun = "audit events";
    set.columns = {plain("id", ColumnKind::integer),
                   ts_column(),
                   plain("host"),
                   plain("action"),
                   plain("user_name"),
                   plain("session"),
                   plain("client_addr"),
                   plain("method"),
                   plain("path"),
                   plain("status", ColumnKind::integer),
                   plain("source"),
                   plain("user_agent"),
                   plain("request_id"),
                   escaped_column()};
    set.text = {
        time_field(set, "TIME", "ts"),
        host_field(set),
        {{"ACTION", false, 5, 12, 0, 12}, value_of(set, "action")},
        user_field(set),
        client_field(set),
        session_field(set),
        {{"ST", true, 3, 3, 0, 3}, value_of(set, "status")},
        {{"PATH", false, 20, 0, 1, 0}, value_of(set, "path")},
    };
    return set;
}

// A set selected from trace.audit by a query of its own (audit_summary.hpp).
ColumnSet audit_derived(const std::string &noun) {
    ColumnSet set;
    set.table = "trace.audit";
    set.command = "audit";
    set.noun = noun;
    return set;
}

ColumnSet make_audit_summary() {
    ColumnSet set = audit_derived("users");
    set.columns = {plain("user_name"),
                   {"last_login", "last_login", ColumnKind::time},
                   {"last_logout", "last_logout", ColumnKind::time},
                   plain("failed_logins", ColumnKind::integer),
                   plain("open_sessions", ColumnKind::integer),
                   plain("signed_in", ColumnKind::boolean),
                   {"escaped", "escaped", ColumnKind::names}};
    size_t open = set.index_of("open_sessions");
    set.text = {
        {{"USER", false, 4, 0, 1, 12}, value_of(set, "user_name")},
        time_field(set, "LAST LOGIN", "last_login"),
        time_field(set, "LAST LOGOUT", "last_logout"),
        {{"FAILED", true, 6, 6, 0, 6}, value_of(set, "failed_logins")},
        {{"SIGNED IN", false, 9, 0, 0, 9},
         [open](const RecordRow &r) {
             long long n = r[open] ? std::stoll(*r[open]) : 0;
             return n == 0   ? std::string("no")
                    : n == 1 ? std::string("yes")
                             : "yes (" + std::to_string(n) + ")";
         }},
    };
    return set;
}

// Selected by open_sessions_query; the console shows it, no command lists it.
ColumnSet make_audit_open_sessions() {
    ColumnSet set = audit_derived("open sessions");
    set.columns = {plain("session"),
                   {"login", "login", ColumnKind::time},
                   {"last_event", "last_event", ColumnKind::time},
                   plain("open_in_all", ColumnKind::integer)};
    return set;
}

}  // namespace

std::optional<long long> integer_value(const std::string &raw) {
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(raw.c_str(), &end, 10);
    if (raw.empty() || *end != '\0' || errno == ERANGE) {
        return std::nullopt;
    }
    return v;
}

std::string ColumnSet::select_list() const {
    std::string out;
    for (const RecordColumn &c : columns) {
        out += (out.empty() ? "" : ", ") + c.select_sql;
    }
    return out;
}

size_t ColumnSet::index_of(const std::string &name) const {
    for (size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == name) {
            return i;
        }
    }
    throw std::logic_error("no column " + name + " in " + table);
}

const ColumnSet &requests_columns() {
    static const ColumnSet set = make_requests();
    return set;
}

const ColumnSet &audit_columns() {
    static const ColumnSet set = make_audit();
    return set;
}

const ColumnSet &audit_summary_columns() {
    static const ColumnSet set = make_audit_summary();
    return set;
}

const ColumnSet &audit_open_sessions_columns() {
    static const ColumnSet set = make_audit_open_sessions();
    return set;
}

}  // namespace trace_ctl
