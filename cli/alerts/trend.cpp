#include "alerts/trend.hpp"

#include <cmath>

namespace trace_ctl {

namespace {

bool in_window(const SpaceSample &s, std::int64_t now, const TrendRule &rule) {
    return s.time <= now && s.time >= now - rule.window_seconds;
}

void keep_newest(std::vector<SpaceSample> &samples, std::size_t most) {
    if (samples.size() > most) {
        samples.erase(samples.begin(),
                      samples.begin() + static_cast<std::ptrdiff_t>(samples.size() - most));
    }
}

}  // namespace

std::vector<SpaceSample> usable_samples(const SampleSeries &history, std::uint64_t size,
                                        std::int64_t now, const TrendRule &rule) {
    std::vector<SpaceSample> out;
    if (history.size != size) {
        return out;
    }
    for (const SpaceSample &s : history.samples) {
        // Times must rise: a sample not newer than the one before it was
        // written while the clock was behind.
        if (in_window(s, now, rule) && s.time < now && (out.empty() || s.time > out.back().time)) {
            out.push_back(s);
        }
    }
    return out;
}

std::optional<double> least_squares_slope(const std::vector<SpaceSample> &points) {
    if (points.size() < 2) {
        return std::nullopt;
    }
    // Centred on the means, in long double: times near 1.7e9 and byte counts
    // up to 2^64 would lose every digit of a difference in the naive sums.
    long double n = static_cast<long double>(points.size());
    long double t_mean = 0, a_mean = 0;
    for (const SpaceSample &p : points) {
        t_mean += static_cast<long double>(p.time);
        a_mean += static_cast<long double>(p.available);
    }
    t_mean /= n;
    a_mean /= n;
    long double covariance = 0, variance = 0;
    for (const SpaceSample &p : points) {
        long double dt = static_cast<long double>(p.time) - t_mean;
        covariance += dt * (static_cast<long double>(p.available) - a_mean);
        variance += dt * dt;
    }
    if (!(variance > 0)) {
        return std::nullopt;
    }
    double slope = static_cast<double>(covariance / variance);
    if (!std::isfinite(slope)) {
        return std::nullopt;
    }
    return slope;
}

Forecast forecast_space(const SampleSeries &history, std::uint64_t size,
                        const SpaceSample &current, double percent_used,
                        const TrendRule &rule) {
    Forecast f;
    f.horizon_seconds = rule.horizon_seconds;
    f.min_percent_used = rule.min_percent_used;
    std::vector<SpaceSample> points = usable_samples(history, size, current.time, rule);
    points.push_back(current);
    f.samples = points.size();
    f.span_seconds = current.time - points.front().time;
    if (f.samples < rule.min_samples || f.span_seconds < rule.min_span_seconds) {
        return f;
    }
    std::optional<double> slope = least_squares_slope(points);
    if (!slope) {
        return f;
    }
    f.evaluated = true;
    f.slope = *slope;
    if (f.slope < 0) {
        // From what is available now rather than from the fitted line's value
        // now: the measurement is exact, the line lags behind a recent change.
        double seconds = static_cast<double>(current.available) / -f.slope;
        if (std::isfinite(seconds)) {
            f.seconds_to_full = seconds;
        }
    }
    f.warns = f.seconds_to_full && *f.seconds_to_full < static_cast<double>(rule.horizon_seconds) &&
              percent_used > rule.min_percent_used;
    return f;
}

SampleSeries record_sample(const SampleSeries &history, std::uint64_t size,
                           const SpaceSample &current, const TrendRule &rule) {
    SampleSeries next;
    next.size = size;
    next.samples = usable_samples(history, size, current.time, rule);
    // A sample of this same second (a run just before) is left out of
    // usable_samples; the current one takes its place.
    bool replaces = history.size == size && !history.samples.empty() &&
                    history.samples.back().time == current.time;
    if (replaces || next.samples.empty() ||
        current.time - next.samples.back().time >= rule.spacing_seconds) {
        next.samples.push_back(current);
    }
    keep_newest(next.samples, rule.max_samples);
    return next;
}

SampleSeries age_series(const SampleSeries &history, std::int64_t now, const TrendRule &rule) {
    SampleSeries next;
    next.size = history.size;
    for (const SpaceSample &s : history.samples) {
        if (in_window(s, now, rule) && (next.samples.empty() || s.time > next.samples.back().time)) {
            next.samples.push_back(s);
        }
    }
    keep_newest(next.samples, rule.max_samples);
    return next;
}

std::string format_time_to_full(double seconds) {
    if (!(seconds >= 600)) {  // NaN too
        return "less than 10 min";
    }
    if (seconds < 90 * 60) {
        return "about " + std::to_string(static_cast<long long>(std::round(seconds / 600)) * 10) +
               " min";
    }
    if (seconds < 48 * 3600) {
        return "about " + std::to_string(static_cast<long long>(std::round(seconds / 3600))) + " h";
    }
    double days = std::round(seconds / 86400);
    if (!(days < 1e6)) {
        return "more than a million days";
    }
    return "about " + std::to_string(static_cast<long long>(days)) + " days";
}

}  // namespace trace_ctl
