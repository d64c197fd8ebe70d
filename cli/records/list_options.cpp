#include "records/list_options.hpp"

#include "app/table_output.hpp"
#include "app/time_text.hpp"
#include "app/usage_error.hpp"
#include "common/session_hash.hpp"

#include <openssl/crypto.h>

#include <iostream>
#include <optional>
#include <stdexcept>

namespace trace_ctl {

namespace {

std::string read_token_from_stdin() {
    std::string token;
    std::getline(std::cin, token);
    if (!token.empty() && token.back() == '\r') {
        token.pop_back();
    }
    return token;
}

std::string session_hash_of(std::string token, const std::string &key_file) {
    if (key_file.empty()) {
        throw UsageError(
            "--session-token needs the module's session key: set session_key_file "
            "in the configuration or pass --session-key-file");
    }
    if (token == "-") {
        token = read_token_from_stdin();
    }
    unsigned char key[TRACE_SESSION_KEY_MAX];
    struct Wipe {
        unsigned char *key;
        ~Wipe() { OPENSSL_cleanse(key, TRACE_SESSION_KEY_MAX); }
    } wipe{key};
    std::size_t keylen = 0;
    try {
        keylen = trace::read_session_key(key_file, key, sizeof(key));
    } catch (const trace::SessionKeyError &e) {
        throw UsageError(std::string("session key ") + e.what());
    }
    char hash[TRACE_SESSION_HASH_LEN];
    if (!trace::session_hash(std::string_view(reinterpret_cast<const char *>(key), keylen), token,
                             hash)) {
        throw std::runtime_error("cannot hash the session token: OpenSSL failed");
    }
    return std::string(hash, sizeof(hash));
}

}  // namespace

RecordFilter filter_from_options(const ListOptions &opts, const Config &config) {
    RecordFilter f;
    if (!opts.user.empty()) {
        f.user = opts.user;
    }
    if (!opts.session.empty() && !opts.session_token.empty()) {
        throw UsageError("--session and --session-token exclude each other");
    }
    if (!opts.session.empty()) {
        f.session = parse_session(opts.session);
    }
    if (!opts.session_token.empty()) {
        f.session = session_hash_of(opts.session_token, opts.session_key_file.empty()
                                                            ? config.session_key_file
                                                            : opts.session_key_file);
    }
    if (!opts.status.empty()) {
        f.statuses = parse_status_list(opts.status);
    }
    if (!opts.method.empty()) {
        f.methods = parse_methods(opts.method);
    }
    if (!opts.path.empty()) {
        f.path_regex = opts.path;
    }
    if (!opts.host.empty()) {
        f.host = opts.host;
    }
    if (!opts.client.empty()) {
        f.client = parse_client(opts.client);
    }
    if (!opts.since.empty()) {
        f.since = parse_time_bound(opts.since, "--since");
    }
    if (!opts.until.empty()) {
        f.until = parse_time_bound(opts.until, "--until");
    }
    if (!opts.referer.empty()) {
        f.referer_regex = opts.referer;
    }
    if (!opts.user_agent.empty()) {
        f.user_agent_regex = opts.user_agent;
    }
    if (!opts.upstream_status.empty()) {
        f.upstream_status_regex = parse_upstream_status_list(opts.upstream_status);
    }
    if (!opts.fields.empty()) {
        std::vector<std::pair<std::string, std::string>> fields;
        for (const std::string &field : opts.fields) {
            fields.push_back(parse_field(field));
        }
        f.fields = fields_object(fields);
    }
    if (!opts.max_time.empty()) {
        f.max_ts = parse_time(opts.max_time);
        if (!f.max_ts) {
            throw UsageError("--max-time: \"" + opts.max_time +
                             "\" is not a time (as the footer of a page prints it)");
        }
    }
    if (opts.follow &&
        (opts.page != 1 || opts.max_id != 0 || !opts.until.empty() || !opts.max_time.empty())) {
        throw UsageError(
            "--follow shows what comes next: it cannot be combined with --page, "
            "--max-id, --max-time or --until");
    }
    if (opts.follow && opts.explain) {
        throw UsageError("--explain shows the plan of one page, not of --follow");
    }
    return f;
}

std::size_t text_width(const ListOptions &opts) {
    return output_width(opts.width >= 0 ? std::optional<int>(opts.width) : std::nullopt);
}

}  // namespace trace_ctl
