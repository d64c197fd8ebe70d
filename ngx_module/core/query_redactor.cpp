#include "query_redactor.hpp"

#include "errbuf.hpp"
#include "guard.hpp"
#include "percent.hpp"
#include "trace_core.h"

#include <algorithm>

namespace trace {

const std::vector<std::string> &default_redacted_names() {
    static const std::vector<std::string> names = {
        "*password*", "*passwd*", "pwd",     "pass",         "*secret*",  "*token*",
        "api_key",    "apikey",   "api-key", "access_key",   "*signature*", "sig",
        "auth",       "authorization", "key", "private_key", "session",   "sessionid",
        "session_id", "jsessionid", "phpsessid", "otp",      "pin",       "credentials",
    };
    return names;
}

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative matcher with one backtrack point: linear for patterns with '*'.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

namespace {

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

}  // namespace

std::string decode_name(std::string_view raw) {
    std::string out = percent_decode(raw, true);
    std::transform(out.begin(), out.end(), out.begin(), fold);
    return out;
}

QueryRedactor::QueryRedactor(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {
    for (auto &p : patterns_) {
        std::transform(p.begin(), p.end(), p.begin(), fold);
    }
}

bool QueryRedactor::matches(std::string_view decoded_lower_name) const {
    for (const auto &p : patterns_) {
        if (glob_match(p, decoded_lower_name)) {
            return true;
        }
    }
    return false;
}

bool QueryRedactor::redact_into(std::string &out, std::string_view query) const {
    bool changed = false;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) {
            end = query.size();
        }
        std::string_view param = query.substr(start, end - start);
        std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && eq + 1 < param.size() &&
            matches(decode_name(param.substr(0, eq)))) {
            out.append(param.data(), eq + 1);
            out.append(replacement);
            changed = true;
        } else {
            out.append(param);
        }
        if (end == query.size()) {
            break;
        }
        out += '&';
        start = end + 1;
    }
    return changed;
}

std::string QueryRedactor::redact(std::string_view query) const {
    std::string out;
    out.reserve(query.size());
    redact_into(out, query);
    return out;
}

}  // namespace trace

// --- C API: redactors ----------------------------------------------------------

// The C handle is the C++ object itself.
struct trace_redactor_s : trace::QueryRedactor {
    using trace::QueryRedactor::QueryRedactor;
};

extern "C" trace_redactor_t *trace_redactor_create(const trace_str_t *names, size_t n, char *err,
                                                   size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, nullptr, [&]() -> trace_redactor_t * {
        if (names == nullptr) {
            return new trace_redactor_s(trace::default_redacted_names());
        }
        std::vector<std::string> patterns;
        for (size_t i = 0; i < n; ++i) {
            patterns.emplace_back(reinterpret_cast<const char *>(names[i].data), names[i].len);
        }
        return new trace_redactor_s(std::move(patterns));
    });
}

extern "C" void trace_redactor_free(trace_redactor_t *redactor) {
    trace::guarded(trace::NoReport{}, [&] { delete redactor; });
}

const trace::QueryRedactor *trace::as_redactor(const trace_redactor_t *r) { return r; }
