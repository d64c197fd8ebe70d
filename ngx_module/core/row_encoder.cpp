#include "row_encoder.hpp"

#include "common/session_hash.hpp"
#include "copy_json.hpp"
#include "copy_text.hpp"

#include <arpa/inet.h>
#include <cstring>

namespace trace {

RowEncoder::RowEncoder(std::string host, std::string session_key)
    : session_key_(std::move(session_key)), default_redactor_(default_redacted_names()) {
    host_escaped_ = append_copy_text(host_field_, host);
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

// The text fields below return true when they stored their value escaped
// (copy_text.hpp).
bool append_optional_text(std::string &out, const trace_str_t &s,
                          std::size_t limit = SIZE_MAX) {
    if (s.data == nullptr) {
        append_copy_null(out);
        return false;
    }
    return append_copy_text(out, view(s), limit);
}

// The first `limit` bytes of a target, or fewer, so that the cut does not
// fall inside a UTF-8 character (which would then show as invalid bytes).
std::string_view cut_target(std::string_view target, std::size_t limit) {
    auto continues = [&](std::size_t i) {
        return (static_cast<unsigned char>(target[i]) & 0xC0) == 0x80;
    };
    std::size_t start = limit;  // of the character that target[limit] is part of
    while (start > 0 && limit - start < 3 && continues(start)) {
        --start;
    }
    // A character of UTF-8 starts there and reaches past the cut: only then
    // (target[start + 1 .. limit] continue it, so a valid prefix that long
    // must be that one character).
    if (valid_utf8_prefix(target.substr(start, 4)) > limit - start) {
        return target.substr(0, start);
    }
    return target.substr(0, limit);
}

// NULL for an empty value too: nginx's "not found" (no upstream, HTTP/0.9).
bool append_nonempty_text(std::string &out, const trace_str_t &s) {
    if (s.data == nullptr || s.len == 0) {
        append_copy_null(out);
        return false;
    }
    return append_copy_text(out, view(s));
}

bool append_request_id(std::string &out, const trace_str_t &id) {
    if (id.data == nullptr || id.len == 0) {
        append_copy_null(out);
        return false;
    }
    return append_copy_text(out, view(id), indexed_text_limit);
}

// The `escaped` column of one row: the names of its text columns that are
// stored escaped, in column order; NULL when there are none.
class EscapedColumns {
public:
    void note(bool escaped, const char *column) {
        if (escaped && count_ < max_columns) {
            names_[count_++] = column;
        }
    }

    // A text[] in COPY text: {path,user_agent,fields.xff}. The names are the
    // columns' own, and fields.NAME for the values of fields that `fields_escaped`
    // marks (bit k: fields[k]): nothing in them needs quoting.
    void append_field(std::string &out, const trace_field_t *fields = nullptr,
                      std::uint32_t fields_escaped = 0) const {
        if (count_ == 0 && fields_escaped == 0) {
            append_copy_null(out);
            return;
        }
        out += '{';
        for (std::size_t i = 0; i < count_; ++i) {
            if (i > 0) {
                out += ',';
            }
            out.append(names_[i]);
        }
        if (fields_escaped != 0) {
            append_escaped_field_names(out, fields, fields_escaped, count_ == 0);
        }
        out += '}';
    }

private:
    static constexpr std::size_t max_columns = 16;  // more than either table has
    const char *names_[max_columns];
    std::size_t count_ = 0;
};

}  // namespace

bool RowEncoder::append_user(std::string &out, const trace_str_t &user) const {
    if (user.data == nullptr || user.len == 0) {
        append_copy_null(out);
        return false;
    }
    return append_copy_text(out, view(user), indexed_text_limit);
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
    EscapedColumns escaped;
    append_copy_timestamp(out, req.start_us);
    out += '\t';
    out += host_field_;
    escaped.note(host_escaped_, "host");
    out += '\t';
    escaped.note(append_optional_text(out, req.server_name), "server_name");
    out += '\t';
    escaped.note(append_optional_text(out, req.method), "method");
    out += '\t';

    // The URI as the client sent it: the path, and the query after the first '?'.
    // A target that was cut ends in the mark, in whichever of the two it ends.
    std::string_view uri = view(req.uri);
    bool cut = req.malformed && req.uri_cut;
    if (req.malformed && uri.size() > rejected_target_limit) {
        uri = cut_target(uri, rejected_target_limit);
        cut = true;
    }
    std::size_t q = uri.find('?');
    if (req.uri.data == nullptr) {
        append_copy_null(out);
        out += '\t';
        append_copy_null(out);
    } else {
        escaped.note(append_copy_text(out, uri.substr(0, q)), "path");
        if (cut && q == std::string_view::npos) {
            out.append(cut_mark);
        }
        out += '\t';
        if (q == std::string_view::npos) {
            append_copy_null(out);
        } else {
            std::string redacted;
            const QueryRedactor *redactor =
                req.redactor ? as_redactor(req.redactor) : &default_redactor_;
            redactor->redact_into(redacted, uri.substr(q + 1));
            escaped.note(append_copy_text(out, redacted), "query");
            if (cut) {
                out.append(cut_mark);
            }
        }
    }
    out += '\t';

    append_copy_int(out, req.status);
    out += '\t';
    append_copy_seconds(out, req.duration_us);
    out += '\t';
    escaped.note(append_user(out, req.user), "user_name");
    out += '\t';
    append_session(out, req.session, req.session_hash);
    out += '\t';
    append_copy_inet(out, view(req.client_addr));
    out += '\t';
    append_copy_int(out, req.bytes_sent);
    out += '\t';
    escaped.note(append_optional_text(out, req.user_agent), "user_agent");
    out += '\t';
    escaped.note(append_request_id(out, req.request_id), "request_id");
    out += '\t';
    escaped.note(append_optional_text(out, req.referer), "referer");
    out += '\t';
    escaped.note(append_nonempty_text(out, req.protocol), "protocol");
    out += '\t';
    escaped.note(append_nonempty_text(out, req.scheme), "scheme");
    out += '\t';
    append_copy_int(out, req.request_length);
    out += '\t';
    escaped.note(append_nonempty_text(out, req.upstream_addr), "upstream_addr");
    out += '\t';
    escaped.note(append_nonempty_text(out, req.upstream_status), "upstream_status");
    out += '\t';
    escaped.note(append_nonempty_text(out, req.upstream_response_time), "upstream_response_time");
    out += '\t';
    // a value of fields that is stored escaped is named fields.NAME
    std::uint32_t fields_escaped = append_copy_fields(out, req.fields, req.nfields);
    out += '\t';
    escaped.append_field(out, req.fields, fields_escaped);
    out += '\t';
    if (req.malformed) {
        out += 't';  // malformed; NULL for every request nginx accepted
    } else {
        append_copy_null(out);
    }
    out += '\n';
}

void RowEncoder::append_audit(std::string &out, const trace_audit_t &event) const {
    EscapedColumns escaped;
    append_copy_timestamp(out, event.ts_us);
    out += '\t';
    out += host_field_;
    escaped.note(host_escaped_, "host");
    out += '\t';
    escaped.note(append_copy_text(out, event.action ? event.action : ""), "action");
    out += '\t';
    escaped.note(append_user(out, event.user), "user_name");
    out += '\t';
    append_session(out, event.session, event.session_hash);
    out += '\t';
    append_copy_inet(out, view(event.client_addr));
    out += '\t';
    escaped.note(append_optional_text(out, event.method), "method");
    out += '\t';
    escaped.note(append_optional_text(out, event.path), "path");
    out += '\t';
    append_copy_int(out, event.status);
    out += '\t';
    escaped.note(append_copy_text(out, event.source ? event.source : ""), "source");
    out += '\t';
    escaped.note(append_optional_text(out, event.user_agent), "user_agent");
    out += '\t';
    escaped.note(append_request_id(out, event.request_id), "request_id");
    out += '\t';
    escaped.append_field(out);
    out += '\n';
}

}  // namespace trace
