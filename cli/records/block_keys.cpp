#include "records/block_keys.hpp"

#include "block_summary.hpp"
#include "records/escaping.hpp"

#include <arpa/inet.h>

namespace trace_ctl {

namespace {

constexpr size_t session_hash_length = 32;
constexpr size_t session_prefix_digits = 8;

std::vector<BloomKey> keys_of(const std::vector<std::string> &keys) {
    std::vector<BloomKey> out;
    for (const std::string &k : keys) {
        out.push_back({BloomColumn::keys, k});
    }
    return out;
}

// The statuses as one OR of keys; nothing when a range has too many.
std::optional<std::vector<std::string>> statuses_keys(const std::vector<StatusRange> &ranges) {
    std::vector<std::string> keys;
    for (const StatusRange &r : ranges) {
        std::optional<std::vector<std::string>> some = status_range_keys(r);
        if (!some) {
            return std::nullopt;
        }
        keys.insert(keys.end(), some->begin(), some->end());
    }
    return keys;
}

}  // namespace

std::optional<std::vector<std::string>> status_range_keys(const StatusRange &range) {
    std::vector<std::string> keys;
    size_t codes = 0;
    for (int code = range.low; code <= range.high;) {
        if (code % 100 == 0 && code + 99 <= range.high) {
            keys.push_back(trace::status_class_key(code));
            code += 100;
            continue;
        }
        if (++codes > max_status_keys) {
            return std::nullopt;
        }
        keys.push_back(trace::status_key(code));
        ++code;
    }
    return keys;
}

std::optional<std::string> client_filter_key(const ClientFilter &client) {
    std::string address = client.address;
    int prefix = 32;
    size_t slash = address.find('/');
    if (slash != std::string::npos) {
        prefix = std::stoi(address.substr(slash + 1));
        address.resize(slash);
    }
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        // An IPv6 address is keyed whole (client_key makes its text
        // canonical); a network of it has no key.
        if (slash == std::string::npos || prefix == 128) {
            return trace::client_key(address);
        }
        return std::nullopt;
    }
    if (inet_pton(AF_INET, address.c_str(), bytes) != 1) {
        return std::nullopt;
    }
    // The dotted quad as PostgreSQL prints it, whatever was typed.
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, bytes, text, sizeof text);
    if (prefix == 32) {
        return trace::client_key(text);
    }
    for (int bits : {24, 16, 8}) {
        if (prefix >= bits) {
            return trace::client_network_key(text, bits);
        }
    }
    return std::nullopt;
}

BlockPredicate block_predicate(const RecordFilter &filter) {
    BlockPredicate p;
    if (filter.user) {
        // Blocks hold the name as stored (escaped where it must be), as the
        // row condition compares it.
        std::string stored;
        stored_form(*filter.user, stored);
        p.all.push_back(keys_of({trace::user_key(stored)}));
    }
    if (filter.session) {
        const std::string &s = *filter.session;
        p.all.push_back(keys_of({s.size() == session_hash_length
                                     ? trace::session_key(s)
                                     : trace::session_prefix_key(s.substr(0, session_prefix_digits))}));
    }
    if (!filter.statuses.empty()) {
        if (std::optional<std::vector<std::string>> keys = statuses_keys(filter.statuses)) {
            p.all.push_back(keys_of(*keys));
        }
    }
    if (!filter.methods.empty()) {
        std::vector<std::string> keys;
        for (const std::string &m : filter.methods) {
            keys.push_back(trace::method_key(m));
        }
        p.all.push_back(keys_of(keys));
    }
    if (filter.host) {
        p.all.push_back(keys_of({trace::host_key(*filter.host)}));
    }
    if (filter.client) {
        if (std::optional<std::string> key = client_filter_key(*filter.client)) {
            p.all.push_back(keys_of({*key}));
        }
    }
    if (filter.path_regex) {
        std::vector<std::string> grams = trace::regex_required_grams(*filter.path_regex);
        if (grams.size() > max_path_grams) {
            grams.resize(max_path_grams);
        }
        for (const std::string &g : grams) {
            p.all.push_back({{BloomColumn::grams, g}});
        }
    }
    return p;
}

}  // namespace trace_ctl
