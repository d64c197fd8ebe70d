#include "schema/prune_ranges.hpp"

#include <limits>

namespace trace_ctl {

std::optional<IdRange> next_id_range(std::int64_t lo, std::int64_t cutoff, std::int64_t step) {
    if (lo >= cutoff || step <= 0) {
        return std::nullopt;
    }
    // cutoff - lo cannot overflow when lo >= 0, but ids may in principle be
    // negative (an identity can start anywhere): compare without subtracting.
    std::int64_t hi = cutoff;
    if (lo <= std::numeric_limits<std::int64_t>::max() - step && lo + step < cutoff) {
        hi = lo + step;
    }
    return IdRange{lo, hi};
}

std::optional<std::int64_t> cutoff_offset(std::int64_t keep) {
    if (keep <= 0) {
        return std::nullopt;
    }
    return keep - 1;
}

std::int64_t one_past(std::int64_t id) {
    return id == std::numeric_limits<std::int64_t>::max() ? id : id + 1;
}

}  // namespace trace_ctl
