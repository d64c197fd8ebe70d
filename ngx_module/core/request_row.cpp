#include "request_row.hpp"

#include "copy_text.hpp"

#include "errbuf.hpp"

#include <arpa/inet.h>
#include <cstring>

// The C handle is the C++ object itself.
struct trace_redactor_s : trace::QueryRedactor {
    using trace::QueryRedactor::QueryRedactor;
};

namespace trace {

RequestRowEncoder::RequestRowEncoder(std::string host, std::string session_key)
    : session_key_(std::move(session_key)), default_redactor_(default_redacted_names()) {
    append_copy_text(host_field_, host);
}

void append_copy_inet(std::string &out, std::string_view text) {
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[sizeof(struct in6_addr)];
    if (text.empty() || text.size() >= sizeof(buf)) {
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

}  // namespace

void RequestRowEncoder::append(std::string &out, const trace_request_t &req) const {
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
                req.redactor ? static_cast<const QueryRedactor *>(req.redactor) : &default_redactor_;
            redactor->redact_into(redacted, uri.substr(q + 1));
            append_copy_text(out, redacted);
        }
    }
    out += '\t';

    append_copy_int(out, req.status);
    out += '\t';
    append_copy_seconds(out, req.duration_us);
    out += '\t';

    if (req.user.data == nullptr || req.user.len == 0) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(req.user), indexed_text_limit);
    }
    out += '\t';

    if (req.session.data == nullptr || req.session.len == 0 || session_key_.empty()) {
        append_copy_null(out);
    } else {
        char hash[TRACE_SESSION_HASH_LEN];
        trace_session_hash(reinterpret_cast<const unsigned char *>(session_key_.data()),
                           session_key_.size(), req.session.data, req.session.len, hash);
        out.append(hash, sizeof(hash));
    }
    out += '\t';

    append_copy_inet(out, view(req.client_addr));
    out += '\t';
    append_copy_int(out, req.bytes_sent);
    out += '\t';
    append_optional_text(out, req.user_agent);
    out += '\t';
    if (req.request_id.data == nullptr || req.request_id.len == 0) {
        append_copy_null(out);
    } else {
        append_copy_text(out, view(req.request_id), indexed_text_limit);
    }
    out += '\n';
}

}  // namespace trace

// --- C API: redactors ----------------------------------------------------------


extern "C" trace_redactor_t *trace_redactor_create(const trace_str_t *names, size_t n, char *err,
                                                   size_t errlen) {
    try {
        if (names == nullptr) {
            return new trace_redactor_s(trace::default_redacted_names());
        }
        std::vector<std::string> patterns;
        for (size_t i = 0; i < n; ++i) {
            patterns.emplace_back(trace::view(names[i]));
        }
        return new trace_redactor_s(std::move(patterns));
    } catch (const std::exception &e) {
        trace::write_error(err, errlen, e.what());
        return nullptr;
    }
}

extern "C" void trace_redactor_free(trace_redactor_t *redactor) { delete redactor; }
