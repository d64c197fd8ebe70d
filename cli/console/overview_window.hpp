// The overview's window: since/until resolved against the database's clock
// into two fixed times, and cut into buckets of a round size (a minute to a
// day) so that a chart has at most about 60 bars.

#ifndef TRACE_CTL_CONSOLE_OVERVIEW_WINDOW_HPP
#define TRACE_CTL_CONSOLE_OVERVIEW_WINDOW_HPP

#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "console/html.hpp"
#include "records/filters.hpp"

#include <cstdint>
#include <string>

namespace trace_ctl {

struct Window {
    EpochMicros start = 0;
    EpochMicros end = 0;
    std::int64_t bucket_seconds = 60;
    std::string host;

    // The window (or one bucket of it) as a filter and as link parameters.
    RecordFilter filter() const;
    QueryParams params(EpochMicros from, EpochMicros to) const;
    QueryParams params() const { return params(start, end); }
    // Bucket `n` (floor(epoch / bucket_seconds)) as times.
    EpochMicros bucket_start(std::int64_t n) const;
    std::string bucket_label(std::int64_t n) const;
};

// Throws UsageError.
Window resolve_window(Connection &db, const std::string &since, const std::string &until,
                      const std::string &host);

}  // namespace trace_ctl

#endif
