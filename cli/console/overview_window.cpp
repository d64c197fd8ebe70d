#include "console/overview_window.hpp"

#include "app/usage_error.hpp"

#include <algorithm>

namespace trace_ctl {

namespace {

constexpr std::int64_t micros = 1000000;
constexpr std::int64_t buckets_max = 60;

EpochMicros resolve(const TimeBound &bound, EpochMicros now) {
    return bound.at ? *bound.at : now - *bound.seconds_ago * micros;
}

}  // namespace

RecordFilter Window::filter() const {
    RecordFilter f;
    f.since = TimeBound{std::nullopt, start};
    f.until = TimeBound{std::nullopt, end};
    if (!host.empty()) {
        f.host = host;
    }
    return f;
}

QueryParams Window::params(EpochMicros from, EpochMicros to) const {
    return {{"since", format_utc_time(std::max(from, start))},
            {"until", format_utc_time(std::min(to, end))},
            {"host", host}};
}

EpochMicros Window::bucket_start(std::int64_t n) const {
    return n * bucket_seconds * micros;
}

std::string Window::bucket_label(std::int64_t n) const {
    // "2024-05-01T12:03:07.123456Z": "05-01 12:03" when a window spans days.
    std::string t = format_utc_time(bucket_start(n));
    return bucket_seconds >= 1800 ? t.substr(5, 5) + " " + t.substr(11, 5) : t.substr(11, 5);
}

Window resolve_window(Connection &db, const std::string &since, const std::string &until,
                      const std::string &host) {
    EpochMicros now = db.exec("SELECT " + epoch_micros_sql("now()")).get_int(0, 0);
    Window w;
    w.host = host;
    w.start = resolve(parse_time_bound(since, "since"), now);
    w.end = until.empty() ? now : resolve(parse_time_bound(until, "until"), now);
    if (w.end <= w.start) {
        throw UsageError("since: the window ends before it starts");
    }
    static const std::int64_t steps[] = {60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
                                         86400, 7 * 86400};
    std::int64_t seconds = (w.end - w.start) / micros;
    w.bucket_seconds = steps[sizeof steps / sizeof *steps - 1];
    for (std::int64_t step : steps) {
        if (seconds / step <= buckets_max) {
            w.bucket_seconds = step;
            break;
        }
    }
    return w;
}

}  // namespace trace_ctl
