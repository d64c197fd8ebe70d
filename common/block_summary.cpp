#include "block_summary.hpp"

#include "trace_contract.h"

// Header-only: the hash is compiled into the module and trace-ctl, so neither
// needs libxxhash at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <climits>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace trace {

namespace {

constexpr std::size_t bits_per_key = 10;

// Keys are made often (ten or so a row, and a row's trigrams): into one
// reused buffer, not a string each.
struct KeyText {
    std::string buf;
    std::string_view make(std::string_view prefix, std::string_view value) {
        buf.assign(prefix.data(), prefix.size());
        buf.append(value.data(), value.size());
        return buf;
    }
};

void set_bit(std::string &filter, std::uint64_t bit) {
    filter[bit >> 3] = static_cast<char>(static_cast<unsigned char>(filter[bit >> 3]) |
                                         (1u << (bit & 7)));
}

bool get_bit(std::string_view filter, std::uint64_t bit) {
    return (static_cast<unsigned char>(filter[bit >> 3]) >> (bit & 7)) & 1u;
}

// --- COPY text -------------------------------------------------------------------

// Where the columns blocks need are in TRACE_REQUEST_COLUMNS, found by name so
// that the contract's order is the only one.
struct ColumnIndex {
    int ts = -1, host = -1, method = -1, path = -1, status = -1, user = -1, session = -1,
        client = -1;
    int count = 0;
};

ColumnIndex request_columns() {
    ColumnIndex c;
    std::string_view list = TRACE_REQUEST_COLUMNS;
    int i = 0;
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        while (!name.empty() && name.front() == ' ') {
            name.remove_prefix(1);
        }
        if (name == "ts") c.ts = i;
        else if (name == "host") c.host = i;
        else if (name == "method") c.method = i;
        else if (name == "path") c.path = i;
        else if (name == "status") c.status = i;
        else if (name == "user_name") c.user = i;
        else if (name == "session") c.session = i;
        else if (name == "client_addr") c.client = i;
        ++i;
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    c.count = i;
    return c;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A field as COPY's text format reads it (backslash sequences), into out.
void copy_unescape(std::string_view field, std::string &out) {
    out.clear();
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        if (c != '\\' || i + 1 == field.size()) {
            out.push_back(c);
            continue;
        }
        char e = field[++i];
        switch (e) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x':
            if (i + 1 < field.size() && hex_value(field[i + 1]) >= 0) {
                int v = hex_value(field[++i]);
                if (i + 1 < field.size() && hex_value(field[i + 1]) >= 0) {
                    v = v * 16 + hex_value(field[++i]);
                }
                out.push_back(static_cast<char>(v));
            } else {
                out.push_back('x');
            }
            break;
        default:
            if (e >= '0' && e <= '7') {
                int v = e - '0';
                for (int k = 0; k < 2 && i + 1 < field.size() && field[i + 1] >= '0' &&
                                field[i + 1] <= '7';
                     ++k) {
                    v = v * 8 + (field[++i] - '0');
                }
                out.push_back(static_cast<char>(v));
            } else {
                out.push_back(e);  // \\ and any other character: itself
            }
        }
    }
}

bool read_digits(std::string_view s, std::size_t at, std::size_t n, int &value) {
    if (at + n > s.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "YYYY-MM-DD HH:MM:SS[.f{1,6}]+00": what the module writes.
bool parse_copy_timestamp(std::string_view s, std::int64_t &us) {
    int y, mo, d, h, mi, sec;
    if (!read_digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
        s[7] != '-' || !read_digits(s, 8, 2, d) || s[10] != ' ' || !read_digits(s, 11, 2, h) ||
        s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
        !read_digits(s, 17, 2, sec)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return false;
    }
    std::size_t i = 19;
    std::int64_t frac = 0;
    if (i < s.size() && s[i] == '.') {
        int digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            if (++digits > 6) {
                return false;
            }
            frac = frac * 10 + (s[i] - '0');
        }
        if (digits == 0) {
            return false;
        }
        for (; digits < 6; ++digits) {
            frac *= 10;
        }
    }
    if (s.substr(i) != "+00") {
        return false;
    }
    std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    us = ((days * 24 + h) * 60 + mi) * 60 + sec;
    us = us * 1000000 + frac;
    return true;
}

bool parse_status(std::string_view s, int &status) {
    if (s.empty() || s.size() > 4) {
        return false;
    }
    status = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        status = status * 10 + (c - '0');
    }
    return true;
}

// Where the bracket expression opened at `open` ends; npos if it does not.
std::size_t bracket_end(std::string_view re, std::size_t open) {
    // ']' right after '[' or '[^' is a member, not the end.
    std::size_t from = open + 1;
    if (from < re.size() && re[from] == '^') ++from;
    if (from < re.size() && re[from] == ']') ++from;
    return re.find(']', from);
}

}  // namespace

// --- Bloom filters -----------------------------------------------------------------

BloomProbe bloom_probe(std::string_view key) {
    std::uint64_t h = XXH3_64bits(key.data(), key.size());
    return BloomProbe{h & 0xffffffffu, h >> 32};
}

namespace {

constexpr std::size_t saturation_keys = TRACE_BLOOM_MAX_BYTES * 8 / bits_per_key;

void set_probe(std::string &filter, const BloomProbe &p) {
    const std::uint64_t bits = filter.size() * 8;
    for (std::uint64_t i = 0; i < TRACE_BLOOM_PROBES; ++i) {
        set_bit(filter, (p.h1 + i * p.h2) % bits);
    }
}

}  // namespace

void BloomBuilder::add(std::string_view key) {
    BloomProbe p = bloom_probe(key);
    if (!full_.empty()) {
        set_probe(full_, p);
        return;
    }
    std::uint64_t whole = p.h1 | (p.h2 << 32);
    if (!seen_.insert(whole).second) {
        return;
    }
    keys_.push_back(p);
    if (keys_.size() >= saturation_keys) {
        full_ = bytes();
        keys_.clear();
        seen_.clear();
    }
}

void BloomBuilder::clear() {
    keys_.clear();
    seen_.clear();
    full_.clear();
}

std::string BloomBuilder::bytes() const {
    if (!full_.empty()) {
        return full_;
    }
    std::size_t bytes = (keys_.size() * bits_per_key + 7) / 8;
    bytes = std::clamp<std::size_t>(bytes, 8, TRACE_BLOOM_MAX_BYTES);
    std::string filter(bytes, '\0');
    for (const BloomProbe &p : keys_) {
        set_probe(filter, p);
    }
    return filter;
}

bool bloom_may_hold(std::string_view filter, const BloomProbe &probe) {
    if (filter.empty()) {
        return false;
    }
    const std::uint64_t bits = filter.size() * 8;
    for (std::uint64_t i = 0; i < TRACE_BLOOM_PROBES; ++i) {
        if (!get_bit(filter, (probe.h1 + i * probe.h2) % bits)) {
            return false;
        }
    }
    return true;
}

// --- keys --------------------------------------------------------------------------

std::string user_key(std::string_view user) { return "u:" + std::string(user); }
std::string session_key(std::string_view hash) { return "s:" + std::string(hash); }
std::string session_prefix_key(std::string_view hash) {
    return "s:" + std::string(hash.substr(0, 8));
}
std::string client_key(std::string_view addr) {
    // IPv6 has many texts for one address (zeros, case, ::); one form on both
    // sides: what glibc's inet_ntop makes of it. IPv4 has one already.
    if (addr.find(':') != std::string_view::npos && addr.size() < INET6_ADDRSTRLEN) {
        char in[INET6_ADDRSTRLEN];
        std::memcpy(in, addr.data(), addr.size());
        in[addr.size()] = '\0';
        unsigned char bytes[16];
        char out[INET6_ADDRSTRLEN];
        if (inet_pton(AF_INET6, in, bytes) == 1 && inet_ntop(AF_INET6, bytes, out, sizeof out)) {
            return std::string("c:") + out;
        }
    }
    return "c:" + std::string(addr);
}

std::optional<std::string> client_network_key(std::string_view addr, int prefix_bits) {
    if (prefix_bits != 8 && prefix_bits != 16 && prefix_bits != 24) {
        return std::nullopt;
    }
    // A dotted quad of four decimal octets, nothing else.
    std::array<std::size_t, 4> octet_end{};
    std::size_t at = 0;
    for (int k = 0; k < 4; ++k) {
        std::size_t digits = 0;
        int value = 0;
        while (at < addr.size() && addr[at] >= '0' && addr[at] <= '9' && digits < 3) {
            value = value * 10 + (addr[at] - '0');
            ++at;
            ++digits;
        }
        if (digits == 0 || value > 255 || (digits > 1 && addr[at - digits] == '0')) {
            return std::nullopt;
        }
        octet_end[k] = at;
        if (k < 3) {
            if (at >= addr.size() || addr[at] != '.') {
                return std::nullopt;
            }
            ++at;
        }
    }
    if (at != addr.size()) {
        return std::nullopt;
    }
    std::size_t keep = octet_end[prefix_bits / 8 - 1] + 1;  // with the dot after it
    return "n" + std::to_string(prefix_bits) + ":" + std::string(addr.substr(0, keep));
}

std::string status_key(int status) { return "t:" + std::to_string(status); }
std::string status_class_key(int status) { return "t:" + std::to_string(status / 100) + "xx"; }
std::string method_key(std::string_view method) { return "m:" + std::string(method); }
std::string host_key(std::string_view host) { return "h:" + std::string(host); }

namespace {

void add_grams(std::string_view text, std::size_t n, const char *prefix,
               std::unordered_set<std::string> &seen, std::vector<std::string> &out) {
    for (std::size_t i = 0; i + n <= text.size(); ++i) {
        std::string gram = prefix + std::string(text.substr(i, n));
        if (seen.insert(gram).second) {
            out.push_back(std::move(gram));
        }
    }
}

}  // namespace

void path_grams(std::string_view path, std::vector<std::string> &out) {
    std::unordered_set<std::string> seen(out.begin(), out.end());
    add_grams(path, 3, "g:", seen, out);
    add_grams(path, 6, "G:", seen, out);
}

// The literal runs a match must contain. Conservative: whatever it cannot
// read for sure ends the run, and anything that could change the reading of
// the whole expression gives up on it.
std::vector<std::string> regex_required_grams(std::string_view re) {
    std::vector<std::string> grams;
    // Directors (***= literal, ***: ARE) and embedded options ((?i) makes it
    // case-insensitive) change what every character means.
    if (re.substr(0, 3) == "***" || re.substr(0, 2) == "(?") {
        return grams;
    }
    std::vector<std::string> runs;
    std::string run;
    auto end_run = [&] {
        if (run.size() >= 3) {
            runs.push_back(run);
        }
        run.clear();
    };
    // A quantifier that may take zero (*, ?, {0,...} or any brace) makes the
    // character before it optional: it leaves the run. + keeps it but ends
    // the run, for the repetition's copies come between it and the next.
    auto quantified = [&](bool may_be_zero) {
        if (may_be_zero && !run.empty()) {
            run.pop_back();
        }
        end_run();
    };
    int depth = 0;
    for (std::size_t i = 0; i < re.size(); ++i) {
        char c = re[i];
        if (c == '|' && depth == 0) {
            return grams;  // either side may match: nothing is required for sure
        }
        if (depth > 0) {
            // Inside a group nothing is taken, but brackets and escapes must
            // be skipped so that their parentheses do not count.
            if (c == '\\') {
                ++i;
            } else if (c == '[') {
                if ((i = bracket_end(re, i)) == std::string_view::npos) {
                    return {};
                }
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                --depth;
            }
            continue;
        }
        switch (c) {
        case '(':
            end_run();
            depth = 1;
            break;
        case ')':
            return {};  // unbalanced: PostgreSQL refuses it anyway
        case '[':
            end_run();
            if ((i = bracket_end(re, i)) == std::string_view::npos) {
                return {};
            }
            break;
        case '*':
        case '?':
            quantified(true);
            break;
        case '+':
            quantified(false);
            break;
        case '{': {
            quantified(true);
            std::size_t close = re.find('}', i);
            if (close == std::string_view::npos) {
                return {};
            }
            i = close;
            break;
        }
        case '.':
        case '^':
        case '$':
            end_run();
            break;
        case '\\': {
            if (i + 1 >= re.size()) {
                return {};
            }
            char e = re[++i];
            bool alnum = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            if (alnum) {
                end_run();  // a class (\d), an anchor (\y) or a code (\x41): not read
            } else {
                run.push_back(e);  // \. \/ \- ...: the character itself
            }
            break;
        }
        default:
            run.push_back(c);
        }
    }
    if (depth != 0) {
        return {};
    }
    end_run();
    std::unordered_set<std::string> seen;
    for (const std::string &r : runs) {
        if (r.size() >= 6) {
            add_grams(r, 6, "G:", seen, grams);
        }
    }
    for (const std::string &r : runs) {
        if (r.size() < 6) {
            add_grams(r, 3, "g:", seen, grams);
        }
    }
    return grams;
}

// --- blocks ------------------------------------------------------------------------

void BlockBuilder::count_row(std::int64_t from_us, std::int64_t to_us) {
    if (current_.row_count == 0) {
        current_.first_ts_us = from_us;
        current_.last_ts_us = to_us;
    }
    current_.first_ts_us = std::min(current_.first_ts_us, from_us);
    current_.last_ts_us = std::max(current_.last_ts_us, to_us);
    ++current_.row_count;
}

void BlockBuilder::add(const BlockRow &row) {
    count_row(row.ts_us, row.ts_us);

    KeyText k;
    if (row.user) keys_.add(k.make("u:", *row.user));
    if (row.session) {
        keys_.add(k.make("s:", *row.session));
        keys_.add(k.make("s:", row.session->substr(0, 8)));
    }
    if (row.client) {
        keys_.add(client_key(*row.client));
        for (int bits : {8, 16, 24}) {
            if (auto net = client_network_key(*row.client, bits)) {
                keys_.add(*net);
            }
        }
    }
    if (row.status) {
        keys_.add(status_key(*row.status));
        keys_.add(status_class_key(*row.status));
    }
    if (row.method) keys_.add(k.make("m:", *row.method));
    if (row.host) keys_.add(k.make("h:", *row.host));
    // Once a block's trigrams fill their filter (hostile 8 KB paths), it
    // claims every trigram: regex listings read the block, and its remaining
    // paths cost nothing to summarise.
    if (row.path && !grams_.saturated()) {
        std::string_view p = *row.path;
        char gram[8] = {'g', ':', 0, 0, 0};
        for (std::size_t i = 0; i + 3 <= p.size(); ++i) {
            std::memcpy(gram + 2, p.data() + i, 3);
            grams_.add(std::string_view(gram, 5));
        }
        gram[0] = 'G';
        for (std::size_t i = 0; i + 6 <= p.size(); ++i) {
            std::memcpy(gram + 2, p.data() + i, 6);
            grams_.add(std::string_view(gram, 8));
        }
    }
    if (current_.row_count == TRACE_BLOCK_ROWS) {
        seal();
    }
}

void BlockBuilder::mark_unreadable(std::optional<std::int64_t> ts_us) {
    count_row(ts_us.value_or(INT64_MIN), ts_us.value_or(INT64_MAX));
    anything_ = true;
    if (current_.row_count == TRACE_BLOCK_ROWS) {
        seal();
    }
}

void BlockBuilder::seal() {
    if (current_.row_count == 0) {
        return;
    }
    if (anything_) {
        // Claims every key: the block is read whatever the filter.
        current_.keys.assign(8, '\xff');
        current_.grams.assign(8, '\xff');
    } else {
        current_.keys = keys_.bytes();
        current_.grams = grams_.saturated() ? std::string(8, '\xff') : grams_.bytes();
    }
    done_.push_back(std::move(current_));
    current_ = BlockSummary{};
    keys_.clear();
    grams_.clear();
    anything_ = false;
}

std::vector<BlockSummary> BlockBuilder::finish() {
    seal();
    std::vector<BlockSummary> out = std::move(done_);
    done_.clear();
    return out;
}

std::vector<BlockSummary> summarise_request_copy_text(std::string_view text) {
    static const ColumnIndex col = request_columns();
    BlockBuilder builder;
    std::vector<std::string_view> fields;
    std::array<std::string, 8> unescaped;
    fields.reserve(static_cast<std::size_t>(col.count));
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

        fields.clear();
        for (std::size_t at = 0;;) {
            std::size_t tab = line.find('\t', at);
            fields.push_back(line.substr(at, tab == std::string_view::npos ? tab : tab - at));
            if (tab == std::string_view::npos) break;
            at = tab + 1;
        }
        std::int64_t ts = 0;
        bool ts_ok = static_cast<int>(fields.size()) > col.ts &&
                     parse_copy_timestamp(fields[static_cast<std::size_t>(col.ts)], ts);
        if (!ts_ok || static_cast<int>(fields.size()) != col.count) {
            builder.mark_unreadable(ts_ok ? std::optional<std::int64_t>(ts) : std::nullopt);
            continue;
        }
        std::size_t slot = 0;
        auto value = [&](int index) -> std::optional<std::string_view> {
            std::string_view f = fields[static_cast<std::size_t>(index)];
            if (f == "\\N") {
                return std::nullopt;
            }
            if (f.find('\\') == std::string_view::npos) {
                return f;
            }
            std::string &buf = unescaped[slot++];
            copy_unescape(f, buf);
            return std::string_view(buf);
        };
        BlockRow row;
        row.ts_us = ts;
        row.host = value(col.host);
        row.method = value(col.method);
        row.path = value(col.path);
        row.user = value(col.user);
        row.session = value(col.session);
        row.client = value(col.client);
        std::optional<std::string_view> status = value(col.status);
        int st = 0;
        if (status) {
            if (!parse_status(*status, st)) {
                builder.mark_unreadable(ts);
                continue;
            }
            row.status = st;
        }
        builder.add(row);
    }
    return builder.finish();
}

std::string utc_timestamp_text(std::int64_t us) {
    if (us == INT64_MIN) return "-infinity";
    if (us == INT64_MAX) return "infinity";
    std::int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    std::int64_t frac = us - secs * 1000000;
    std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    std::int64_t rem = secs - days * 86400;
    // civil_from_days (H. Hinnant)
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                  static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                  static_cast<long long>(frac));
    return buf;
}

}  // namespace trace
