// Whole request and audit rows, from any field values a client can influence
// (URI, Host, User-Agent, user, session token, request id, client address).
// Invariants:
// - one row: ends in its only newline, and has exactly as many fields as the
//   COPY column list; every text field is \N or valid COPY text that decodes
//   to valid UTF-8 without NUL;
// - each text column a client fills holds what the scheme's reference model
//   says (fuzz_support.hpp, stored_reference; the user and the request id cut
//   at indexed_text_limit), and the row's escaped column names exactly the
//   columns the model escapes, in column order, or is \N when there are none;
//   the query, which is redacted first, is named only when what it stands for
//   is not valid UTF-8, and never when the query sent was;
// - the raw session token is never in the row: the session is 32 hex digits
//   (its keyed hash) or \N; client_addr is \N or only address characters;
// - numbers and times read back as what was given;
// - a query parameter named like a secret has "[REDACTED]" as its value;
// - fields (trace_field) is \N or decodes to a JSON object of strings that
//   jsonb takes (valid UTF-8, no \u0000), one key per field with a value,
//   and escaped names (as fields.NAME) the values stored escaped.

#include "copy_text.hpp"
#include "fuzz_support.hpp"
#include "row_encoder.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = s.find(sep, start);
        parts.push_back(s.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) {
            return parts;
        }
        start = end + 1;
    }
}

std::size_t count_columns(const char *list) {
    return static_cast<std::size_t>(std::count(list, list + std::strlen(list), ',')) + 1;
}

// A value that is absent (NULL) a tenth of the time.
trace_str_t maybe(FuzzedDataProvider &p, std::string &keep, std::size_t max) {
    keep = p.ConsumeRandomLengthString(max);
    if (p.ConsumeIntegralInRange(0, 9) == 0) {
        return {nullptr, 0};
    }
    return {reinterpret_cast<const unsigned char *>(keep.data()), keep.size()};
}

// "2026-11-27 05:42:52.123456+00" back to microseconds since the epoch.
std::int64_t parse_timestamp(const std::string &s) {
    std::tm tm{};
    int us = -1;
    char tail[4] = {};
    FUZZ_CHECK(s.size() == 29);
    FUZZ_CHECK(std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d.%6d%3s", &tm.tm_year, &tm.tm_mon,
                           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, tail) == 8);
    FUZZ_CHECK(std::string(tail) == "+00");
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000000 + us;
}

// The fields of one row: it ends in its only newline, has one field per
// column, and starts with the time it was given.
std::vector<std::string> split_row(std::string row, const char *columns, std::int64_t ts) {
    FUZZ_CHECK(!row.empty() && row.back() == '\n');
    row.pop_back();
    FUZZ_CHECK(row.find('\n') == std::string::npos);
    std::vector<std::string> fields = split(row, '\t');
    FUZZ_CHECK(fields.size() == count_columns(columns));
    FUZZ_CHECK(parse_timestamp(fields[0]) == ts);
    return fields;
}

void check_text_fields(const std::vector<std::string> &fields) {
    for (const std::string &f : fields) {
        if (f == "\\N") {
            continue;
        }
        std::optional<std::string> decoded = fuzz::copy_decode_field(f);
        FUZZ_CHECK(decoded && fuzz::is_valid_utf8(*decoded));
    }
}

// The names in a row's escaped field, a text[] in COPY text: \N is none.
std::vector<std::string> escaped_names(const std::string &field) {
    if (field == "\\N") {
        return {};
    }
    FUZZ_CHECK(field.size() >= 3 && field.front() == '{' && field.back() == '}');
    return split(field.substr(1, field.size() - 2), ',');
}

// A text column that holds `in` (NULL when absent, or empty where
// `null_when_empty`), stored as the model says; its name joins `escaped`
// when the model escapes it.
void check_text(const std::string &field, const trace_str_t &in, std::size_t limit,
                bool null_when_empty, const char *name, std::vector<std::string> &escaped) {
    if (in.data == nullptr || (null_when_empty && in.len == 0)) {
        FUZZ_CHECK(field == "\\N");
        return;
    }
    fuzz::Stored expected = fuzz::stored_reference(trace::view(in), limit);
    FUZZ_CHECK(fuzz::copy_decode_field(field) == expected.text);
    if (expected.escaped) {
        escaped.push_back(name);
    }
}

void check_session(const std::string &field) {
    if (field == "\\N") {
        return;
    }
    FUZZ_CHECK(field.size() == TRACE_SESSION_HASH_LEN);
    FUZZ_CHECK(field.find_first_not_of("0123456789abcdef") == std::string::npos);
}

void check_inet(const std::string &field) {
    FUZZ_CHECK(field == "\\N" || field.find_first_not_of("0123456789abcdefABCDEF.:") ==
                                     std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider p(data, size);
    static const trace::RowEncoder encoder("web-1", "0123456789abcdef0123456789abcdef");
    // Wall-clock times from 1970 to 9999: what nginx's clock can say.
    std::int64_t ts = p.ConsumeIntegralInRange<std::int64_t>(0, 253402300799999999LL);
    std::int64_t duration = p.ConsumeIntegral<std::int64_t>();
    int status = p.ConsumeIntegral<int>();
    std::int64_t bytes_sent = p.ConsumeIntegral<std::int64_t>();
    std::string s[16];
    std::string row;

    if (p.ConsumeBool()) {
        trace_request_t req{};
        req.start_us = ts;
        req.duration_us = duration;
        req.status = status;
        req.bytes_sent = bytes_sent;
        req.server_name = maybe(p, s[0], 64);
        req.method = maybe(p, s[1], 16);
        req.user = maybe(p, s[2], 600);
        req.session = maybe(p, s[3], 64);
        req.client_addr = maybe(p, s[4], 48);
        req.user_agent = maybe(p, s[5], 64);
        req.request_id = maybe(p, s[6], 600);
        req.uri = maybe(p, s[7], 4096);
        req.referer = maybe(p, s[8], 600);
        req.protocol = maybe(p, s[9], 16);
        req.upstream_addr = maybe(p, s[10], 64);
        req.upstream_status = maybe(p, s[11], 32);
        req.request_length = p.ConsumeIntegral<std::int64_t>();
        static const char *const names[] = {"xff", "country", "a", "b"};
        trace_field_t fields[4];
        std::size_t with_value = 0;
        req.nfields = p.ConsumeIntegralInRange<std::size_t>(0, 4);
        for (std::size_t k = 0; k < req.nfields; ++k) {
            fields[k].name = {reinterpret_cast<const unsigned char *>(names[k]), std::strlen(names[k])};
            fields[k].value = maybe(p, s[12 + k], 700);
            with_value += fields[k].value.len > 0;
        }
        req.fields = fields;
        encoder.append_request(row, req);
        std::vector<std::string> f = split_row(row, trace::request_columns, ts);
        check_text_fields({f[1], f[2], f[3], f[4], f[5], f[8], f[12], f[13], f[14], f[15], f[16],
                           f[18], f[19], f[20]});
        std::vector<std::string> escaped;
        FUZZ_CHECK(f[1] == "web-1");
        check_text(f[2], req.server_name, SIZE_MAX, false, "server_name", escaped);
        check_text(f[3], req.method, SIZE_MAX, false, "method", escaped);
        std::size_t q = s[7].find('?');
        trace_str_t path = req.uri;
        if (path.data != nullptr && q != std::string::npos) {
            path.len = q;
        }
        check_text(f[4], path, SIZE_MAX, false, "path", escaped);
        std::vector<std::string> listed = escaped_names(f[22]);
        bool query_escaped = std::find(listed.begin(), listed.end(), "query") != listed.end();
        if (query_escaped) {
            FUZZ_CHECK(req.uri.data != nullptr && q != std::string::npos);
            std::optional<std::string> bytes = fuzz::unescape_stored(*fuzz::copy_decode_field(f[5]));
            FUZZ_CHECK(bytes && !fuzz::is_valid_utf8(*bytes));
            FUZZ_CHECK(!fuzz::is_valid_utf8(s[7].substr(q + 1)));
            escaped.push_back("query");
        }
        check_text(f[8], req.user, trace::indexed_text_limit, true, "user_name", escaped);
        check_text(f[12], req.user_agent, SIZE_MAX, false, "user_agent", escaped);
        check_text(f[13], req.request_id, trace::indexed_text_limit, true, "request_id", escaped);
        check_text(f[14], req.referer, SIZE_MAX, false, "referer", escaped);
        check_text(f[15], req.protocol, SIZE_MAX, true, "protocol", escaped);
        check_text(f[16], req.scheme, SIZE_MAX, true, "scheme", escaped);
        FUZZ_CHECK(f[17] == std::to_string(req.request_length));
        check_text(f[18], req.upstream_addr, SIZE_MAX, true, "upstream_addr", escaped);
        check_text(f[19], req.upstream_status, SIZE_MAX, true, "upstream_status", escaped);
        check_text(f[20], req.upstream_response_time, SIZE_MAX, true, "upstream_response_time",
                   escaped);
        // the columns' names first, in column order, then fields.NAME entries
        FUZZ_CHECK(listed.size() >= escaped.size() &&
                   std::equal(escaped.begin(), escaped.end(), listed.begin()));
        std::vector<std::string> field_entries(listed.begin() + escaped.size(), listed.end());
        if (with_value == 0) {
            FUZZ_CHECK(f[21] == "\\N" && field_entries.empty());
        } else {
            std::optional<std::string> json = fuzz::copy_decode_field(f[21]);
            FUZZ_CHECK(json && fuzz::is_valid_utf8(*json));
            nlohmann::json object = nlohmann::json::parse(*json, nullptr, false);
            FUZZ_CHECK(object.is_object() && object.size() == with_value);
            for (const auto &item : object.items()) {
                // jsonb refuses \u0000: no value may decode to a NUL
                FUZZ_CHECK(item.value().is_string());
                const std::string &v = item.value().get_ref<const std::string &>();
                FUZZ_CHECK(v.find('\0') == std::string::npos && fuzz::is_valid_utf8(v));
            }
            for (const std::string &name : field_entries) {
                FUZZ_CHECK(name.compare(0, 7, "fields.") == 0 && object.contains(name.substr(7)));
                const std::string &v = object[name.substr(7)].get_ref<const std::string &>();
                FUZZ_CHECK(v.find("\\x") != std::string::npos);
            }
        }
        FUZZ_CHECK(f[23] == "\\N");
        FUZZ_CHECK(f[6] == std::to_string(status));
        std::int64_t d = duration < 0 ? 0 : duration;
        char expected_duration[32];
        std::snprintf(expected_duration, sizeof(expected_duration), "%lld.%06lld",
                      static_cast<long long>(d / 1000000), static_cast<long long>(d % 1000000));
        FUZZ_CHECK(f[7] == expected_duration);
        check_session(f[9]);
        check_inet(f[10]);
        FUZZ_CHECK(f[11] == std::to_string(bytes_sent));

        if (req.uri.data != nullptr && q != std::string::npos) {
            std::vector<std::string> in = split(s[7].substr(q + 1), '&');
            std::string query = *fuzz::copy_decode_field(f[5]);
            if (query_escaped) {
                query = *fuzz::unescape_stored(query);
            }
            std::vector<std::string> out = split(query, '&');
            FUZZ_CHECK(in.size() == out.size());
            for (std::size_t i = 0; i < in.size(); ++i) {
                std::size_t eq = in[i].find('=');
                if (eq == std::string::npos || eq + 1 == in[i].size()) {
                    continue;
                }
                std::string name = fuzz::ascii_lower(fuzz::percent_decode(in[i].substr(0, eq), true));
                if (name == "password" || name == "token" || name == "api_key") {
                    FUZZ_CHECK(out[i].size() >= 11 &&
                               out[i].compare(out[i].size() - 11, 11, "=[REDACTED]") == 0);
                }
            }
        }
    } else {
        static const char *const actions[] = {"login", "logout", "login_failed"};
        trace_audit_t ev{};
        ev.ts_us = ts;
        ev.status = status;
        ev.action = actions[p.ConsumeIntegralInRange(0, 2)];
        ev.source = "header";
        ev.user = maybe(p, s[0], 600);
        ev.session = maybe(p, s[1], 64);
        ev.client_addr = maybe(p, s[2], 48);
        ev.method = maybe(p, s[3], 16);
        ev.path = maybe(p, s[4], 4096);
        ev.user_agent = maybe(p, s[5], 64);
        ev.request_id = maybe(p, s[6], 600);
        encoder.append_audit(row, ev);
        std::vector<std::string> f = split_row(row, trace::audit_columns, ts);
        FUZZ_CHECK(f[2] == ev.action && f[9] == "header");
        check_text_fields({f[1], f[3], f[6], f[7], f[10], f[11]});
        std::vector<std::string> escaped;
        FUZZ_CHECK(f[1] == "web-1");
        check_text(f[3], ev.user, trace::indexed_text_limit, true, "user_name", escaped);
        check_text(f[6], ev.method, SIZE_MAX, false, "method", escaped);
        check_text(f[7], ev.path, SIZE_MAX, false, "path", escaped);
        check_text(f[10], ev.user_agent, SIZE_MAX, false, "user_agent", escaped);
        check_text(f[11], ev.request_id, trace::indexed_text_limit, true, "request_id", escaped);
        FUZZ_CHECK(escaped_names(f[12]) == escaped);
        check_session(f[4]);
        check_inet(f[5]);
        FUZZ_CHECK(f[8] == std::to_string(status));
    }
    return 0;
}
