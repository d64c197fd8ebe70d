#include "records/filters.hpp"

#include "app/output_format.hpp"
#include "app/usage_error.hpp"
#include "records/escaping.hpp"
#include "trace_contract.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace trace_ctl {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

// Splits "a, b,c" at commas; an empty item is an error, named after `option`.
std::vector<std::string_view> split_list(std::string_view text, const std::string &option) {
    std::vector<std::string_view> items;
    for (;;) {
        size_t comma = text.find(',');
        std::string_view item = trim(text.substr(0, comma));
        if (item.empty()) {
            throw UsageError(option + ": empty item in \"" + std::string(text) + "\"");
        }
        items.push_back(item);
        if (comma == std::string_view::npos) {
            return items;
        }
        text.remove_prefix(comma + 1);
    }
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

// The duration grammar without errors, so that --since can fall back to a time.
std::optional<std::int64_t> try_parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    constexpr std::int64_t limit = 100LL * 366 * 86400;  // a century is plenty
    std::int64_t total = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        std::int64_t number = 0;
        size_t first = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            number = number * 10 + (text[pos] - '0');
            if (number > limit) {
                return std::nullopt;
            }
            ++pos;
        }
        if (pos == first || pos == text.size()) {
            return std::nullopt;
        }
        std::int64_t unit = 0;
        switch (text[pos]) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return std::nullopt;
        }
        ++pos;
        total += number * unit;
        if (total > limit) {
            return std::nullopt;
        }
    }
    return total;
}

// Adds conditions and their parameters, numbering $n as it goes.
class WhereBuilder {
public:
    explicit WhereBuilder(int first_param) : next_(first_param) {}

    // Stores the value and returns its placeholder, "$3".
    std::string param(std::string value) {
        clause_.params.emplace_back(std::move(value));
        return "$" + std::to_string(next_++);
    }

    void add(std::string condition) { conditions_.push_back(std::move(condition)); }

    // "column = $n" for one value, "column = ANY($n::text[])" for several.
    void add_one_of(const std::string &column, const std::vector<std::string> &values) {
        if (values.size() == 1) {
            add(column + " = " + param(values[0]));
        } else if (!values.empty()) {
            add(column + " = ANY(" + param(pg_array_literal(values)) + "::text[])");
        }
    }

    void add_time(const std::string &op, const TimeBound &bound) {
        if (bound.seconds_ago) {
            add("ts " + op + " now() - " + param(std::to_string(*bound.seconds_ago) + " seconds") +
                "::interval");
        } else if (bound.at) {
            add("ts " + op + " " + param(format_utc_time(*bound.at)) + "::timestamptz");
        }
    }

    WhereClause finish() {
        for (size_t i = 0; i < conditions_.size(); ++i) {
            clause_.sql += (i == 0 ? "WHERE " : " AND ") + conditions_[i];
        }
        return std::move(clause_);
    }

private:
    int next_;
    std::vector<std::string> conditions_;
    WhereClause clause_;
};

constexpr size_t session_hash_length = 32;
constexpr size_t session_prefix_min = 8;

}  // namespace

std::vector<StatusRange> parse_status_list(std::string_view text) {
    std::vector<StatusRange> ranges;
    for (std::string_view item : split_list(text, "--status")) {
        StatusRange r;
        if (item.size() == 3 && all_digits(item)) {
            r.low = r.high = std::stoi(std::string(item));
        } else if (item.size() == 3 && item[0] >= '1' && item[0] <= '9' &&
                   std::tolower(static_cast<unsigned char>(item[1])) == 'x' &&
                   std::tolower(static_cast<unsigned char>(item[2])) == 'x') {
            r.low = (item[0] - '0') * 100;
            r.high = r.low + 99;
        } else {
            r.low = 0;
        }
        if (r.low < 100) {
            throw UsageError("--status: " + quoted(item) +
                             " is not a status code (200, 404) or class (4xx, 5xx)");
        }
        ranges.push_back(r);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const StatusRange &a, const StatusRange &b) { return a.low < b.low; });
    std::vector<StatusRange> merged;
    for (const StatusRange &r : ranges) {
        if (!merged.empty() && r.low <= merged.back().high + 1) {
            merged.back().high = std::max(merged.back().high, r.high);
        } else {
            merged.push_back(r);
        }
    }
    return merged;
}

std::int64_t parse_duration(std::string_view text) {
    std::optional<std::int64_t> seconds = try_parse_duration(trim(text));
    if (!seconds) {
        throw UsageError(quoted(text) + " is not a duration (90s, 15m, 2h, 7d, 1w, 1h30m)");
    }
    return *seconds;
}

TimeBound parse_time_bound(std::string_view text, const std::string &option) {
    std::string_view t = trim(text);
    TimeBound bound;
    if ((bound.seconds_ago = try_parse_duration(t))) {
        return bound;
    }
    if ((bound.at = parse_time(t))) {
        return bound;
    }
    throw UsageError(option + ": " + quoted(text) +
                     " is neither a duration (15m, 2h, 7d) nor a time (2024-05-01, "
                     "2024-05-01 13:30, 2024-05-01T13:30:00Z)");
}

std::string parse_session(std::string_view text) {
    std::string s(trim(text));
    bool hex = std::all_of(s.begin(), s.end(),
                           [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!hex || s.size() < session_prefix_min || s.size() > session_hash_length) {
        throw UsageError("--session: " + quoted(text) +
                         " is not a session hash: 32 hex digits, or at least the first 8 "
                         "(use --session-token for the token itself)");
    }
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

ClientFilter parse_client(std::string_view text) {
    std::string s(trim(text));
    ClientFilter f;
    f.address = s;
    std::string address = s;
    std::string prefix;
    size_t slash = s.find('/');
    if (slash != std::string::npos) {
        address = s.substr(0, slash);
        prefix = s.substr(slash + 1);
        f.is_network = true;
    }
    unsigned char buf[16];
    bool v4 = inet_pton(AF_INET, address.c_str(), buf) == 1;
    bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), buf) == 1;
    bool ok = v4 || v6;
    if (ok && f.is_network) {
        ok = all_digits(prefix) && prefix.size() <= 3 && std::stoi(prefix) <= (v4 ? 32 : 128);
    }
    if (!ok) {
        throw UsageError("--client: " + quoted(text) +
                         " is not an IP address (192.0.2.7, 2001:db8::1) or network "
                         "(10.0.0.0/8)");
    }
    return f;
}

std::vector<std::string> parse_methods(std::string_view text) {
    std::vector<std::string> methods;
    for (std::string_view item : split_list(text, "--method")) {
        std::string m;
        for (char c : item) {
            char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!((u >= 'A' && u <= 'Z') || u == '_' || u == '-')) {
                throw UsageError("--method: " + quoted(item) + " is not an HTTP method");
            }
            m += u;
        }
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) {
            methods.push_back(m);
        }
    }
    return methods;
}

std::vector<std::string> parse_actions(std::string_view text) {
    static const std::vector<std::string> known = TRACE_ACTIONS;
    std::vector<std::string> actions;
    for (std::string_view item : split_list(text, "--action")) {
        if (std::find(known.begin(), known.end(), item) == known.end()) {
            throw UsageError("--action: " + quoted(item) +
                             " is not one of login, logout, login_failed");
        }
        if (std::find(actions.begin(), actions.end(), item) == actions.end()) {
            actions.emplace_back(item);
        }
    }
    return actions;
}

std::string parse_upstream_status_list(std::string_view text) {
    std::string any;
    for (std::string_view item : split_list(text, "--upstream-status")) {
        std::string pattern;
        if (item.size() == 3 && all_digits(item) && item[0] >= '1') {
            pattern = std::string(item);
        } else if (item.size() == 3 && item[0] >= '1' && item[0] <= '9' &&
                   std::tolower(static_cast<unsigned char>(item[1])) == 'x' &&
                   std::tolower(static_cast<unsigned char>(item[2])) == 'x') {
            pattern = std::string(1, item[0]) + "[0-9][0-9]";
        } else {
            throw UsageError("--upstream-status: " + quoted(item) +
                             " is not a status code (502) or class (5xx)");
        }
        any += (any.empty() ? "" : "|") + pattern;
    }
    // An entry stands between the start, ", ", " : " and the end.
    return "(^|[ ,:])(" + any + ")([ ,:]|$)";
}

std::pair<std::string, std::string> parse_field(std::string_view text) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        throw UsageError("--field: " + quoted(text) + " is not NAME=VALUE");
    }
    std::string_view name = text.substr(0, eq);
    bool ok = !name.empty() && name.size() <= TRACE_FIELD_NAME_MAX &&
              std::all_of(name.begin(), name.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
              });
    if (!ok) {
        throw UsageError("--field: " + quoted(name) + " is not a trace_field name (1 to " +
                         std::to_string(TRACE_FIELD_NAME_MAX) + " of a-z, 0-9 and _)");
    }
    if (eq + 1 == text.size()) {
        throw UsageError("--field: " + quoted(text) +
                         " has no value; a field whose value is empty is not stored");
    }
    return {std::string(name), std::string(text.substr(eq + 1))};
}

std::string fields_object(const std::vector<std::pair<std::string, std::string>> &fields) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto &[name, value] : fields) {
        if (object.contains(name)) {
            throw UsageError("--field: " + trace_ctl::quoted(name) +
                             " is given twice; a row has one value per name");
        }
        object[name] = value;
    }
    return json_text(object);
}

std::string pg_array_literal(const std::vector<std::string> &items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

WhereClause build_where(const RecordFilter &filter, int first_param) {
    WhereBuilder w(first_param);
    if (filter.user) {
        // The name as the module stores it (records/escaping.hpp): a user
        // whose name is the byte 0xff is not the one called \xff.
        // (The column's name is a parameter too: the SQL text holds no literal.)
        std::string stored;
        bool escaped = stored_form(*filter.user, stored);
        std::string name = w.param(stored);
        std::string listed = w.param("user_name") + "::text = ANY(escaped)";
        w.add("user_name = " + name +
              (escaped ? " AND " + listed : " AND NOT coalesce(" + listed + ", false)"));
    }
    if (filter.session && filter.session->size() == session_hash_length) {
        w.add("session = " + w.param(*filter.session));
    } else if (filter.session) {
        // A prefix: a range the session index can scan (sessions are hex digits,
        // which every collation orders alike), and an exact check on top.
        std::string prefix = w.param(*filter.session);
        std::string last = w.param(*filter.session +
                                   std::string(session_hash_length - filter.session->size(), 'f'));
        w.add("session BETWEEN " + prefix + " AND " + last + " AND left(session, length(" + prefix +
              ")) = " + prefix);
    }
    if (!filter.statuses.empty()) {
        std::string any;
        for (const StatusRange &r : filter.statuses) {
            any += any.empty() ? "" : " OR ";
            // One param() per statement: the operands of + are not evaluated in
            // order, and the placeholders must be numbered as the values are stored.
            std::string low = w.param(std::to_string(r.low));
            if (r.low == r.high) {
                any += "status = " + low + "::integer";
            } else {
                std::string high = w.param(std::to_string(r.high));
                any += "status BETWEEN " + low + "::integer AND " + high + "::integer";
            }
        }
        w.add(filter.statuses.size() == 1 ? any : "(" + any + ")");
    }
    w.add_one_of("method", filter.methods);
    if (filter.path_regex) {
        w.add("path ~ " + w.param(*filter.path_regex));
    }
    if (filter.host) {
        w.add("host = " + w.param(*filter.host));
    }
    if (filter.client) {
        w.add(std::string("client_addr ") + (filter.client->is_network ? "<<= " : "= ") +
              w.param(filter.client->address) + "::inet");
    }
    if (filter.since) {
        w.add_time(">=", *filter.since);
    }
    if (filter.until) {
        w.add_time("<", *filter.until);
    }
    w.add_one_of("action", filter.actions);
    if (filter.referer_regex) {
        w.add("referer ~ " + w.param(*filter.referer_regex));
    }
    if (filter.user_agent_regex) {
        w.add("user_agent ~ " + w.param(*filter.user_agent_regex));
    }
    if (filter.upstream_status_regex) {
        w.add("upstream_status ~ " + w.param(*filter.upstream_status_regex));
    }
    if (filter.fields) {
        w.add("fields @> " + w.param(*filter.fields) + "::jsonb");
    }
    if (filter.max_ts) {
        w.add("ts <= " + w.param(format_utc_time(*filter.max_ts)) + "::timestamptz");
    }
    if (filter.max_id) {
        w.add("id <= " + w.param(std::to_string(*filter.max_id)) + "::bigint");
    }
    if (filter.after_id) {
        w.add("id > " + w.param(std::to_string(*filter.after_id)) + "::bigint");
    }
    if (!filter.exclude_ids.empty()) {
        std::vector<std::string> ids;
        ids.reserve(filter.exclude_ids.size());
        for (std::int64_t id : filter.exclude_ids) {
            ids.push_back(std::to_string(id));
        }
        w.add("NOT (id = ANY(" + w.param(pg_array_literal(ids)) + "::bigint[]))");
    }
    return w.finish();
}

}  // namespace trace_ctl
