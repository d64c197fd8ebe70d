// Which blocks of trace.request_blocks (sql/0006) may hold a listing's rows:
// the keys of a RecordFilter, as common/block_summary.hpp derives them from
// the rows. A block may hold a match only if its Bloom filters hold, for every
// filter given, one of the keys that filter allows. A filter that no key can
// narrow (an IPv6 client, a --path without three literal bytes in a row, the
// referer, the user agent) asks nothing of the blocks; the rows' own WHERE
// still applies.

#ifndef TRACE_CTL_RECORDS_BLOCK_KEYS_HPP
#define TRACE_CTL_RECORDS_BLOCK_KEYS_HPP

#include "records/filters.hpp"

#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// The Bloom filters of a block: its keys and its paths' grams.
enum class BloomColumn { keys, grams };

struct BloomKey {
    BloomColumn column = BloomColumn::keys;
    std::string key;  // "u:alice", "g:/ap"
    bool operator==(const BloomKey &o) const { return column == o.column && key == o.key; }
};

// Every member must hold: each is one of its keys (an OR).
struct BlockPredicate {
    std::vector<std::vector<BloomKey>> all;
    bool empty() const { return all.empty(); }
};

BlockPredicate block_predicate(const RecordFilter &filter);

// The keys of a status range: a whole class inside it as "t:5xx", the other
// codes one by one; nullopt when that would take more than
// max_status_keys (the range then narrows no block).
constexpr size_t max_status_keys = 100;
std::optional<std::vector<std::string>> status_range_keys(const StatusRange &range);

// The key of --client: an IPv4 address whole, a network by the largest of
// its /24, /16, /8 its prefix covers (a /32 is the address); nullopt for
// IPv6 and for networks wider than /8.
std::optional<std::string> client_filter_key(const ClientFilter &client);

// A --path regex asks at most this many grams (its 6-grams first): each one more narrows
// little, and each costs two parameters and four bit tests a block.
constexpr size_t max_path_grams = 16;

}  // namespace trace_ctl

#endif
