// What people type to narrow a listing (--status 5xx, --since 15m, --client
// 10.0.0.0/8, ...), checked and turned into one parameterised WHERE clause.
// User input only ever travels as a $n parameter, never as SQL text.

#ifndef TRACE_CTL_RECORDS_FILTERS_HPP
#define TRACE_CTL_RECORDS_FILTERS_HPP

#include "app/time_text.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trace_ctl {

// An inclusive range of HTTP status codes: 500 is {500, 500}, 5xx is {500, 599}.
struct StatusRange {
    int low = 0;
    int high = 0;
    bool operator==(const StatusRange &o) const { return low == o.low && high == o.high; }
};

// "500", "5xx", "4xx,5xx", "404,5XX": sorted, overlapping ranges merged.
// Throws UsageError.
std::vector<StatusRange> parse_status_list(std::string_view text);

// "90s", "15m", "2h", "7d", "1w", "1h30m": seconds. Throws UsageError.
std::int64_t parse_duration(std::string_view text);

// --since / --until: a duration back from the database's now(), or a time.
struct TimeBound {
    std::optional<std::int64_t> seconds_ago;
    std::optional<EpochMicros> at;
};
// `option` names the flag in the error. Throws UsageError.
TimeBound parse_time_bound(std::string_view text, const std::string &option);

// --session: the stored hash as listings show it: all 32 hex digits, or a
// prefix of at least 8. Returned in lower case. Throws UsageError.
std::string parse_session(std::string_view text);

// --client: an IPv4 or IPv6 address, or a network in CIDR notation. Returned
// as given (PostgreSQL's inet reads it). Throws UsageError.
struct ClientFilter {
    std::string address;
    bool is_network = false;  // has a /prefix: match with <<=
};
ClientFilter parse_client(std::string_view text);

// "get,POST" -> {"GET", "POST"}. nginx only accepts upper-case methods.
// Throws UsageError.
std::vector<std::string> parse_methods(std::string_view text);

// "login,logout" -> {"login", "logout"}; only login, logout, login_failed.
// Throws UsageError.
std::vector<std::string> parse_actions(std::string_view text);

// --upstream-status: "502", "502,504", "5xx": codes and classes as --status
// takes them. Returns a regular expression (PostgreSQL's ~) that matches an
// upstream_status as nginx writes it ("502, 200 : 404") when any of its
// entries is one of them. Throws UsageError.
std::string parse_upstream_status_list(std::string_view text);

// One --field NAME=VALUE: NAME as trace_field allows it ([a-z0-9_], 1 to
// TRACE_FIELD_NAME_MAX), VALUE not empty (an empty value is never stored).
// Throws UsageError.
std::pair<std::string, std::string> parse_field(std::string_view text);

// Every --field as one JSON object, {"NAME": "VALUE", ...}, for jsonb
// containment (fields @> ...). A NAME given twice is an error. Throws
// UsageError.
std::string fields_object(const std::vector<std::pair<std::string, std::string>> &fields);

// A PostgreSQL array literal, {"a","b"}, quoting every element, for a
// parameter of type text[].
std::string pg_array_literal(const std::vector<std::string> &items);

// Every filter a listing can have; unset members do not filter.
struct RecordFilter {
    std::optional<std::string> user;
    std::optional<std::string> session;  // full hash or prefix (parse_session)
    std::vector<StatusRange> statuses;
    std::vector<std::string> methods;
    std::optional<std::string> path_regex;
    std::optional<std::string> host;
    std::optional<ClientFilter> client;
    std::optional<TimeBound> since;  // ts >= since
    std::optional<TimeBound> until;  // ts < until
    std::vector<std::string> actions;  // audit only
    std::optional<std::string> referer_regex;  // requests only, from here
    std::optional<std::string> user_agent_regex;
    std::optional<std::string> upstream_status_regex;  // parse_upstream_status_list
    std::optional<std::string> fields;  // fields_object: fields @> it
    std::optional<std::int64_t> max_id;  // id <= max_id: keeps pages stable
    std::optional<EpochMicros> max_ts;  // ts <= max_ts: the same anchor, for the index
    std::optional<std::int64_t> after_id;  // id > after_id: --follow
    std::vector<std::int64_t> exclude_ids;  // --follow: already printed
};

// A WHERE clause (or "" when nothing filters) whose $n parameters start at
// `first_param` and whose values are `params`, in order.
struct WhereClause {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};
WhereClause build_where(const RecordFilter &filter, int first_param = 1);

}  // namespace trace_ctl

#endif
