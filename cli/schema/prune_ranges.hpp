// The arithmetic of trace-ctl prune, kept apart from SQL so that it can be
// tested on its own: which ids a batch covers, and where the cutoff lies.

#ifndef TRACE_CTL_SCHEMA_PRUNE_RANGES_HPP
#define TRACE_CTL_SCHEMA_PRUNE_RANGES_HPP

#include <cstdint>
#include <optional>

namespace trace_ctl {

// The ids one DELETE covers: lo <= id < hi.
struct IdRange {
    std::int64_t lo;
    std::int64_t hi;
};

// The batch that starts at `lo`: at most `step` ids wide and never reaching
// `cutoff`. Empty once `lo` has reached the cutoff. Saturates instead of
// overflowing near the end of bigint.
std::optional<IdRange> next_id_range(std::int64_t lo, std::int64_t cutoff, std::int64_t step);

// How many of the newest rows the cutoff query skips: keeping `keep` rows,
// the cutoff is the keep-th newest id, found with `OFFSET keep - 1`.
// Keeping no row has no such row: the cutoff is then one past the newest id.
std::optional<std::int64_t> cutoff_offset(std::int64_t keep);

// One past `id`, saturating at the largest bigint.
std::int64_t one_past(std::int64_t id);

}  // namespace trace_ctl

#endif
