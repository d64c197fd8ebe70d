#include "form_fields.hpp"

#include "guard.hpp"
#include "percent.hpp"
#include "trace_core.h"

#include <cstring>

namespace trace {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Field names compare as nginx's variable names do: case-insensitively.
bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x | 0x20);
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y | 0x20);
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<std::string> form_field(std::string_view body, std::string_view name) {
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string_view::npos) {
            end = body.size();
        }
        std::string_view pair = body.substr(start, end - start);
        std::size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        if (!key.empty() && same_name(percent_decode(key, true), name)) {
            return eq == std::string_view::npos ? std::string()
                                                : percent_decode(pair.substr(eq + 1), true);
        }
        if (end == body.size()) {
            break;
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::optional<AuditHeader> parse_audit_header(std::string_view value) {
    while (!value.empty() && is_blank(value.front())) {
        value.remove_prefix(1);
    }
    while (!value.empty() && is_blank(value.back())) {
        value.remove_suffix(1);
    }
    std::size_t sp = 0;
    while (sp < value.size() && !is_blank(value[sp])) {
        ++sp;
    }
    std::string_view action = value.substr(0, sp);
    std::string_view rest = value.substr(sp);
    while (!rest.empty() && is_blank(rest.front())) {
        rest.remove_prefix(1);
    }
    static const char *const actions[] = TRACE_ACTIONS;
    for (const char *a : actions) {
        if (action == a) {
            // The user is one token: percent-encoding carries spaces and the rest.
            for (char c : rest) {
                if (is_blank(c)) {
                    return std::nullopt;
                }
            }
            return AuditHeader{a, percent_decode(rest, false)};
        }
    }
    return std::nullopt;
}

}  // namespace trace

extern "C" int trace_audit_header_parse(const unsigned char *value, size_t len,
                                        const char **action, unsigned char *user_buf,
                                        size_t *user_len) {
    return trace::guarded(trace::NoReport{}, -1, [&] {
        auto h = trace::parse_audit_header(
            std::string_view(reinterpret_cast<const char *>(value), len));
        if (!h) {
            return -1;
        }
        *action = h->action;
        std::memcpy(user_buf, h->user.data(), h->user.size());  // decoding never grows
        *user_len = h->user.size();
        return 0;
    });
}

extern "C" int trace_form_field(const unsigned char *body, size_t body_len,
                                const unsigned char *name, size_t name_len, unsigned char *out,
                                size_t *out_len) {
    return trace::guarded(trace::NoReport{}, 0, [&] {
        auto v = trace::form_field(std::string_view(reinterpret_cast<const char *>(body), body_len),
                                   std::string_view(reinterpret_cast<const char *>(name), name_len));
        if (!v) {
            return 0;
        }
        std::memcpy(out, v->data(), v->size());
        *out_len = v->size();
        return 1;
    });
}
