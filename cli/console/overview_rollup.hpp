// The overview of a window of days read from trace-ctl rollup's summaries
// (sql/0009) for its whole hours and days whose rows are as they were when
// summarised, and from the rows for the rest: the window's ragged ends, the
// hours not summarised yet, and any period whose rows changed since. Sums
// of the summaries and of the rest are what the rows alone give; so are the
// percentiles, taken here over the summaries' latencies and the rest's with
// PostgreSQL's own interpolation (console/overview_sql.hpp).

#ifndef TRACE_CTL_CONSOLE_OVERVIEW_ROLLUP_HPP
#define TRACE_CTL_CONSOLE_OVERVIEW_ROLLUP_HPP

#include "app/pg.hpp"
#include "console/overview_data.hpp"
#include "console/overview_window.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace trace_ctl {

// A period of users and clients as long as a window (24 hours, 7 days) and
// ending in it, that trace-ctl rollup made up to the newest hour ended.
struct Trailing {
    std::int64_t start = 0;  // epoch seconds
    std::int64_t seconds = 0;
};

// The window's periods with current summaries.
struct RollupCover {
    std::vector<std::int64_t> hours;  // starts, epoch seconds, ascending
    std::vector<std::int64_t> days;
    long long hour_requests = 0;      // the latencies their summaries hold
    std::optional<Trailing> trailing;  // serves this window's users and clients
};

// Whether summaries can serve `w` at all: a schema with them, trace.requests
// not distributed by Citus (which keeps none).
bool rollups_apply(Connection &db, bool distributed);

// The cover of `w`, as the snapshot `db` is in sees it.
RollupCover read_rollup_cover(Connection &db, const Window &w);

// Whether reading the cover (and the rows of the rest) is the quicker way:
// it covers most of the window.
bool worth_reading(const RollupCover &cover, const Window &w);

// A share of the memory all overviews may hold in latencies at once, for as
// long as it lives; none when it would go beyond (the overview then reads
// the rows).
class LatencyReservation {
public:
    static std::optional<LatencyReservation> take(long long latencies);
    LatencyReservation(LatencyReservation &&other) noexcept;
    LatencyReservation &operator=(LatencyReservation &&other) noexcept;
    ~LatencyReservation();

private:
    explicit LatencyReservation(long long latencies) : latencies_(latencies) {}
    long long latencies_;
};

// The slowest paths and, when `buckets` (the window's buckets are whole
// hours), the buckets' status classes, bytes and latency percentiles.
void read_rolled_requests(Connection &db, const Window &w, const RollupCover &cover,
                          bool buckets, OverviewData &data);

// The counted top lists of the hourly summaries (paths, error paths, user
// agents) or of the daily ones (users, clients).
enum class TopGrain { hourly, daily };
void read_rolled_tops(Connection &db, const Window &w, const RollupCover &cover, TopGrain grain,
                      Tops &tops);

}  // namespace trace_ctl

#endif
