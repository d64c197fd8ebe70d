#include "row_encoder.hpp"

#include "common/session_hash.hpp"
#include "copy_json.hpp"
#include "copy_text.hpp"

#include <arpa/inet.h>
#include <cstring>

namespace trace {

RowEncoder::RowEncoder(std::string host, std::string session_key)
    : session_key_(std::move(session_key)), default_redactor_(default_redacted_names()) {
    append_copy_text(host_field_, host);
}

void append_copy_inet(std::string &out, std::string_view text) {
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[sizeof(struct in6_addr)];
    // inet_pton() reads up to a NUL: "::1\0junk" would pass, and its NUL
    // would reach PostgreSQL and cost the whole batch.
    if (text.empty() || text.size() >= sizeof(buf) ||
        std::memchr(text.data(), '\0', text.size()) != nullptr) {
        append_copy_null(out);
        return;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1) {
        out.append(text);  // only [0-9a-fA-F.:]: nothing to escape
    } else {
        append_copy_null(out);  // "unix:" and the like
    }
}

namespace {

void append_optional_text(std::string &out, const trace_str_t &s,
                          std::size_t limit = SIZE_MAX) {
    if (s.data == nullptr) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(s), limit);
    }
}

// NULL for an empty value too: nginx's "not found" (no upstream, HTTP/0.9).
void append_nonempty_text(std::string &out, const trace_str_t &s) {
    if (s.data == nullptr || s.len == 0) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(s));
    }
}

void append_request_id(std::string &out, const trace_str_t &id) {
    if (id.data == nullptr || id.len == 0) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(id), indexed_text_limit);
    }
}

}  // namespace

void RowEncoder::append_user(std::string &out, const trace_str_t &user) const {
    if (user.data == nullptr || user.len == 0) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(user), indexed_text_limit);
    }
}

void RowEncoder::append_session(std::string &out, const trace_str_t &token,
                                const char *hash) const {
    if (hash != nullptr) {
        out.append(hash, TRACE_SESSION_HASH_LEN);
        return;
    }
    if (token.data == nullptr || token.len == 0 || session_key_.empty()) {
        append_copy_null(out);
        return;
    }
    char computed[TRACE_SESSION_HASH_LEN];
    if (!session_hash(session_key_, view(token), computed)) {
        append_copy_null(out);
        return;
    }
    out.append(computed, sizeof(computed));
}

void RowEncoder::append_request(std::string &out, const trace_request_t &req) const {
    append_copy_timestamp(out, req.start_us);
    out += '\t';
    out += host_field_;
    out += '\t';
    append_optional_text(out, req.server_name);
    out += '\t';
    append_optional_text(out, req.method);
    out += '\t';

    // The URI as the client sent it: the path, and the query after the first '?'.
    std::string_view uri = view(req.uri);
    std::size_t q = uri.find('?');
    if (req.uri.data == nullptr) {
        append_copy_null(out);
        out += '\t';
        append_copy_null(out);
    } else {
        append_copy_text(out, uri.substr(0, q));
        out += '\t';
        if (q == std::string_view::npos) {
            append_copy_null(out);
        } else {
            std::string redacted;
            const QueryRedactor *redactor =
                req.redactor ? as_redactor(req.redactor) : &default_redactor_;
            redactor->redact_into(redacted, uri.substr(q + 1));
            append_copy_text(out, redacted);
        }
    }
    out += '\t';

    append_copy_int(out, req.status);
    out += '\t';
    append_copy_seconds(out, req.duration_us);
    out += '\t';
    append_user(out, req.user);
    out += '\t';
    append_session(out, req.session, req.session_hash);
    out += '\t';
    append_copy_inet(out, view(req.client_addr));
    out += '\t';
    append_copy_int(out, req.bytes_sent);
    out += '\t';
    append_optional_text(out, req.user_agent);
    out += '\t';
    append_request_id(out, req.request_id);
    out += '\t';
    append_optional_text(out, req.referer);
    out += '\t';
    append_nonempty_text(out, req.protocol);
    out += '\t';
    append_nonempty_text(out, req.scheme);
    out += '\t';
    append_copy_int(out, req.request_length);
    out += '\t';
    append_nonempty_text(out, req.upstream_addr);
    out += '\t';
    append_nonempty_text(out, req.upstream_status);
    out += '\t';
    append_nonempty_text(out, req.upstream_response_time);
    out += '\t';
    std::uint32_t fields_escaped = append_copy_fields(out, req.fields, req.nfields);
    out += '\t';
    // escaped: the values stored escaped (sql/0003). So far only the values of
    // fields follow that scheme, each named fields.NAME.
    if (fields_escaped != 0) {
        out += '{';
        append_escaped_field_names(out, req.fields, fields_escaped, true);
        out += '}';
    } else {
        append_copy_null(out);
    }
    out += '\t';
    append_copy_null(out);  // malformed
    out += '\n';
}

void RowEncoder::append_audit(std::string &out, const trace_audit_t &event) const {
    append_copy_timestamp(out, event.ts_us);
    out += '\t';
    out += host_field_;
    out += '\t';
    append_copy_text(out, event.action ? event.action : "");
    out += '\t';
    append_user(out, event.user);
    out += '\t';
    append_session(out, event.session, event.session_hash);
    out += '\t';
    append_copy_inet(out, view(event.client_addr));
    out += '\t';
    append_optional_text(out, event.method);
    out += '\t';
    append_optional_text(out, event.path);
    out += '\t';
    append_copy_int(out, event.status);
    out += '\t';
    append_copy_text(out, event.source ? event.source : "");
    out += '\t';
    append_optional_text(out, event.user_agent);
    out += '\t';
    append_request_id(out, event.request_id);
    out += '\t';
    append_copy_null(out);  // escaped
    out += '\n';
}

}  // namespace trace
