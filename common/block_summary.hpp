// Block summaries of trace.requests (sql/0006): instead of one index entry per
// row and per filterable column, one row in trace.request_blocks for every
// block of up to TRACE_BLOCK_ROWS consecutive rows of one transaction: its time
// range and two Bloom filters, one of the block's keys (user, session and its
// 8-digit prefix, client and its IPv4 networks, status and its class, method,
// host) and one of its paths' grams (3 and 6 bytes). A listing asks the blocks which time
// ranges may hold a match, newest first, and reads only those ranges.
//
// The module writes the blocks (from the COPY text of each transaction) and
// trace-ctl reads them and writes them for rows that have none (migrate's
// backfill): both must derive the same keys and the same bit positions, so
// both use this file. A Bloom filter never misses a key it holds; it may claim
// one it does not hold (about 1% of blocks at 10 bits a key), which costs a
// wasted range read, never a wrong answer.

#ifndef TRACE_COMMON_BLOCK_SUMMARY_HPP
#define TRACE_COMMON_BLOCK_SUMMARY_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace trace {

// Rows a block summarises: a batch of 4,000 rows has 16 blocks.
constexpr std::size_t TRACE_BLOCK_ROWS = 256;

// A key's place in any Bloom filter: bit (h1 + i * h2) mod the filter's size
// in bits, for i in 0..3. h1 and h2 are the two 32-bit halves of the key's
// XXH3-64 hash, so every term stays far below 2^63: SQL computes the same in
// bigint (get_bit numbers a byte's bits from its least significant one).
struct BloomProbe {
    std::uint64_t h1 = 0;
    std::uint64_t h2 = 0;
};
constexpr int TRACE_BLOOM_PROBES = 4;
BloomProbe bloom_probe(std::string_view key);

// A Bloom filter being filled: 10 bits a distinct key, at least 8 and at most
// TRACE_BLOOM_MAX_BYTES bytes (a block of 256 hostile 8 KB paths stays small;
// past the cap it only claims more keys than it holds).
constexpr std::size_t TRACE_BLOOM_MAX_BYTES = 8192;
class BloomBuilder {
public:
    void add(std::string_view key);  // a key added twice counts once
    // Distinct keys added, while fewer than the cap holds at 10 bits a key.
    std::size_t size() const { return keys_.size(); }
    void clear();
    // Whether it has reached its cap: from here it claims more and more keys.
    bool saturated() const { return !full_.empty(); }
    // The filter's bytes, sized for the keys added.
    std::string bytes() const;

private:
    // Until the filter would pass its cap, the distinct keys, so that it can
    // be sized for them; past it, the capped filter itself, filled directly
    // (a block of hostile 8 KB paths costs a hash a byte, not a set insert).
    std::vector<BloomProbe> keys_;         // distinct, by hash
    std::unordered_set<std::uint64_t> seen_;
    std::string full_;                     // the capped filter, once saturated
};

// Whether `filter` (bytes() of some builder) may hold the key.
bool bloom_may_hold(std::string_view filter, const BloomProbe &probe);

// The keys of a row's values, as the filters of a listing name them. Values
// are the stored text (what SELECT returns), not their COPY form.
std::string user_key(std::string_view user);              // "u:alice"
std::string session_key(std::string_view hash);           // "s:" + all 32 digits
std::string session_prefix_key(std::string_view hash);    // "s:" + the first 8
// "c:10.1.2.3"; an IPv6 address in one canonical text, however it is written
// ("c:2001:db8::1" for 2001:DB8:0:0::1).
std::string client_key(std::string_view addr);
// The /8, /16 and /24 networks of an IPv4 address in dotted quad, "n8:10.",
// "n16:10.1.", "n24:10.1.2."; nullopt for anything else (IPv6 is keyed
// whole only).
std::optional<std::string> client_network_key(std::string_view addr, int prefix_bits);
std::string status_key(int status);                      // "t:404"
std::string status_class_key(int status);                // "t:4xx"
std::string method_key(std::string_view method);          // "m:GET"
std::string host_key(std::string_view host);              // "h:web1"

// The distinct grams of a path: its trigrams ("g:" + 3 consecutive bytes) and
// its 6-grams ("G:" + 6). Trigrams serve short literals; 6-grams tell a rare
// path from common ones whose trigrams it shares (orders/1234 among
// orders/N: every trigram of it is common, "s/1234" is not).
void path_grams(std::string_view path, std::vector<std::string> &out);

// The grams every string a regular expression (PostgreSQL's ~, case
// sensitive) matches must contain, from its literal runs: a run of 6 bytes or
// more gives its 6-grams, a shorter one of 3 or more its trigrams; the 6-grams
// come first. What a path's gram filter is asked. Empty when the expression
// offers none it can be sure of (no literal run of 3 bytes, alternation,
// embedded options such as (?i), the ***= and ***: directors): then the gram
// filter is not asked at all.
std::vector<std::string> regex_required_grams(std::string_view regex);

// The values of one row that blocks summarise; nullopt is SQL NULL.
struct BlockRow {
    std::int64_t ts_us = 0;  // microseconds since the epoch
    std::optional<std::string_view> host, method, path, user, session, client;
    std::optional<int> status;
};

// One block: what a row of trace.request_blocks holds besides its ids.
struct BlockSummary {
    std::int64_t first_ts_us = 0;
    std::int64_t last_ts_us = 0;
    std::uint32_t row_count = 0;
    std::string keys;   // Bloom filter of the keys above
    std::string grams;  // Bloom filter of the paths' grams
};

// Summarises rows one by one into blocks of TRACE_BLOCK_ROWS.
class BlockBuilder {
public:
    void add(const BlockRow &row);
    // A row whose values could not be read: it counts in its block, whose
    // filters then claim every key, and whose time range reaches from ts (or,
    // without one, from -infinity to infinity).
    void mark_unreadable(std::optional<std::int64_t> ts_us);
    // The blocks so far, the last one possibly short; the builder is empty
    // after.
    std::vector<BlockSummary> finish();

private:
    void count_row(std::int64_t from_us, std::int64_t to_us);
    void seal();
    std::vector<BlockSummary> done_;
    BloomBuilder keys_, grams_;
    BlockSummary current_;
    bool anything_ = false;
};

// The blocks of COPY text of trace.requests in the column order of
// TRACE_REQUEST_COLUMNS (common/trace_contract.h): each field unescaped as
// COPY reads it, \N as NULL. A line that cannot be read (too few fields, a
// time that is not COPY's "YYYY-MM-DD HH:MM:SS[.ffffff]+00") still counts in
// its block as BlockBuilder::mark_unreadable says, so that no row is ever
// unseen.
std::vector<BlockSummary> summarise_request_copy_text(std::string_view copy_text);

// "YYYY-MM-DD HH:MM:SS.ffffff+00" for microseconds since the epoch: a
// timestamptz literal in UTC; INT64_MIN and INT64_MAX are "-infinity" and
// "infinity".
std::string utc_timestamp_text(std::int64_t epoch_us);

}  // namespace trace

#endif
