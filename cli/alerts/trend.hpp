// The trend warning of check-resources: from samples of a filesystem's space
// kept between runs, whether it will be full within predict_hours at its
// current rate, like node_exporter's alert rule
// predict_linear(node_filesystem_avail_bytes[6h], 24*3600) < 0.
// Pure functions over samples; the state file keeps them (alert_state.hpp).

#ifndef TRACE_CTL_ALERTS_TREND_HPP
#define TRACE_CTL_ALERTS_TREND_HPP

#include "alerts/resources.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

struct SpaceSample {
    std::int64_t time = 0;          // unix time of the run
    std::uint64_t used = 0;         // bytes
    std::uint64_t available = 0;    // bytes an unprivileged user may still use
};

// The samples of one filesystem, oldest first, all of the same size: a size
// that changed (the filesystem was replaced, grown or shrunk) starts afresh,
// since its past says nothing about how fast the new one fills.
struct SampleSeries {
    std::uint64_t size = 0;
    std::vector<SpaceSample> samples;
};

// What counts. The window is predict_linear's [6h]: older samples describe
// another workload. At most one sample per spacing and max_samples in all, so
// that the state file stays small (about 3 KB per filesystem) whether cron
// runs every five minutes or every few seconds; the spacing is a little under
// cron's five minutes, so that a run that starts a few seconds early still
// counts. A prediction needs at least
// min_samples points (the current measurement included) spanning min_span:
// a line through fewer, or over a shorter time, mostly extrapolates noise.
struct TrendRule {
    std::int64_t window_seconds = 6 * 3600;
    std::int64_t spacing_seconds = 240;
    std::size_t max_samples = 90;  // 6 h at one per spacing
    std::size_t min_samples = 4;
    std::int64_t min_span_seconds = 3600;
    double min_percent_used = 60;        // below this, no warning whatever the rate
    std::int64_t horizon_seconds = 24 * 3600;  // predict_hours
};

struct Forecast {
    bool evaluated = false;        // enough samples over a long enough time
    std::size_t samples = 0;       // points in the fit, the current one included
    std::int64_t span_seconds = 0; // from the oldest point to now
    double slope = 0;              // available bytes per second; negative: filling up
    // Seconds until no space is available at that rate, from what is
    // available now; only while filling up, and only when finite.
    std::optional<double> seconds_to_full;
    bool warns = false;            // full within the horizon and over min_percent_used
    std::int64_t horizon_seconds = 0;
    double min_percent_used = 0;   // the rule's, to say why it does not warn
};

// The samples of `history` that may enter a fit at `now` for a filesystem of
// `size` bytes: of the same size, within the window, and strictly before
// `now` (the current measurement is the last point; a sample from the future
// means the clock went back, and is not to be trusted).
std::vector<SpaceSample> usable_samples(const SampleSeries &history, std::uint64_t size,
                                        std::int64_t now, const TrendRule &rule);

// The least-squares slope of available bytes over time, as predict_linear
// computes it; nothing for fewer than two distinct times or a result that is
// not finite.
std::optional<double> least_squares_slope(const std::vector<SpaceSample> &points);

// The forecast for a filesystem measured now (`current`, of `size` bytes,
// `percent_used` as the status line shows it), from its history.
Forecast forecast_space(const SampleSeries &history, std::uint64_t size,
                        const SpaceSample &current, double percent_used,
                        const TrendRule &rule);

// The history to keep after this run: the usable samples, plus `current`
// when the newest kept is at least a spacing older, at most max_samples.
SampleSeries record_sample(const SampleSeries &history, std::uint64_t size,
                           const SpaceSample &current, const TrendRule &rule);

// A series of a filesystem not measured this run, without the samples that
// are out of the window at `now` (or from the future).
SampleSeries age_series(const SampleSeries &history, std::int64_t now, const TrendRule &rule);

// A filesystem's trend, checked in a run: its disk space measurement, under
// the key "trend:PATH" (so that the trend warning and the threshold warning
// keep quiet periods of their own), and the forecast.
struct TrendCheck {
    Measurement space;
    Forecast forecast;
};

inline constexpr const char *trend_key_prefix = "trend:";

// "less than 10 min", "about 40 min", "about 3 h", "about 4 days".
std::string format_time_to_full(double seconds);

}  // namespace trace_ctl

#endif
