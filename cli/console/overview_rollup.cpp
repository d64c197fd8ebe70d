#include "console/overview_rollup.hpp"

#include "app/time_text.hpp"
#include "console/overview_sql.hpp"
#include "records/filters.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace trace_ctl {

namespace {

constexpr std::int64_t micros = 1000000;
constexpr std::int64_t hour = 3600;
constexpr std::int64_t day = 86400;

// How many hours a trailing period (the last 24 hours or 7 days when
// trace-ctl rollup ran) may end before the window: the rows of those hours
// are read twice (once added, once taken away), so a few.
constexpr std::int64_t trailing_lag_hours = 3;

// Latencies held in memory by all overviews at once (each is kept twice, by
// bucket and by path: 16 bytes, so 256 MB in all). An overview that would
// go beyond reads the rows, which PostgreSQL sorts within its work_mem.
constexpr long long latencies_budget = 16000000;
std::atomic<long long> latencies_held{0};

using Params = std::vector<std::optional<std::string>>;

// {2024-05-01T12:00:00.000000Z,...}: the periods, as a timestamptz[] parameter.
std::string period_array(const std::vector<std::int64_t> &starts) {
    std::string out = "{";
    for (std::int64_t s : starts) {
        out += (out.size() > 1 ? "," : "") + format_utc_time(s * micros);
    }
    return out + "}";
}

// The summaries' rows of the window's host, or those for all hosts (host
// NULL): a condition, its parameter (if any) added to `params`.
std::string host_rows(const Window &w, Params &params) {
    if (w.host.empty()) {
        return " AND host IS NULL";
    }
    params.push_back(w.host);
    return " AND host = $" + std::to_string(params.size());
}

// The window's rows outside the `seconds`-long periods at `starts`: the
// window's filter and a ts range for each gap, its parameters from `first`.
WhereClause rows_uncovered(const Window &w, const std::vector<std::int64_t> &starts,
                           std::int64_t seconds, int first) {
    WhereClause where = build_where(w.filter(), first);
    std::vector<std::pair<EpochMicros, EpochMicros>> gaps;
    EpochMicros at = w.start;
    for (std::int64_t s : starts) {
        if (s * micros > at) {
            gaps.push_back({at, s * micros});
        }
        at = std::max(at, (s + seconds) * micros);
    }
    if (at < w.end) {
        gaps.push_back({at, w.end});
    }
    std::string ranges;
    for (const auto &[from, to] : gaps) {
        int n = first + static_cast<int>(where.params.size());
        ranges += std::string(ranges.empty() ? "" : " OR ") + "(ts >= $" + std::to_string(n) +
                  "::timestamptz AND ts < $" + std::to_string(n + 1) + "::timestamptz)";
        where.params.push_back(format_utc_time(from));
        where.params.push_back(format_utc_time(to));
    }
    where.sql += " AND (" + (ranges.empty() ? std::string("false") : ranges) + ")";
    return where;
}

// A float8send value: 8 bytes, big-endian.
double float8_at(const char *p) {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) {
        bits = bits << 8 | static_cast<unsigned char>(p[i]);
    }
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

void add_to_classes(Bucket &b, int status) {
    int c = status < 200 ? 0 : status <= 299 ? 1 : status <= 399 ? 2 : status <= 499 ? 3 : 4;
    b.classes[c] += 1;
}

}  // namespace

bool rollups_apply(Connection &db, bool distributed) {
    if (distributed) {
        return false;
    }
    const char *fact = "trace.rollup_periods exists";
    if (db.facts().count(fact) == 0) {
        db.facts()[fact] =
            db.exec("SELECT to_regclass('trace.rollup_periods') IS NOT NULL").get(0, 0) == "t";
    }
    return db.facts()[fact];
}

RollupCover read_rollup_cover(Connection &db, const Window &w) {
    // The hours whose fingerprint is what it was, from a little before the
    // window (a trailing period made up to an hour before its end still
    // serves); the longer periods whose hours are all current and not newer.
    const EpochMicros reach = (w.start / micros / hour - trailing_lag_hours) * hour * micros;
    Result r = db.exec_params(
        "WITH f AS (SELECT * FROM trace.rollup_hour_fingerprints($1, $2)),"
        " hours AS (SELECT p.start, p.requests, p.rolled_at FROM trace.rollup_periods p"
        "   LEFT JOIN f USING (start)"
        "   WHERE p.seconds = 3600 AND p.start >= $1 AND p.start + interval '1 hour' <= $2"
        "     AND (p.blocks, p.block_rows, p.block_tag, p.loose_rows) ="
        "         (coalesce(f.blocks, 0), coalesce(f.block_rows, 0), coalesce(f.block_tag, 0),"
        "          coalesce(f.loose_rows, 0)))"
        "SELECT 3600, floor(date_part('epoch', start))::bigint, requests FROM hours"
        " UNION ALL "
        "SELECT d.seconds, floor(date_part('epoch', d.start))::bigint, d.requests"
        " FROM trace.rollup_periods d"
        " WHERE d.seconds IN (86400, 604800) AND d.start >= $1"
        "   AND d.start + d.seconds * interval '1 second' <= $2"
        "   AND (SELECT count(*) FROM hours h WHERE h.start >= d.start"
        "        AND h.start < d.start + d.seconds * interval '1 second'"
        "        AND h.rolled_at <= d.rolled_at) = d.seconds / 3600"
        " ORDER BY 1, 2",
        {format_utc_time(reach), format_utc_time(w.end)});
    RollupCover cover;
    const std::int64_t length = (w.end - w.start) / micros;
    for (int i = 0; i < r.rows(); ++i) {
        std::int64_t seconds = r.get_int(i, 0), start = r.get_int(i, 1);
        // A day or week as long as the window, from at most a few hours
        // before it and over by its end: the newest serves (ORDER BY).
        if (seconds != hour && seconds == length && w.end - w.start == length * micros &&
            start * micros <= w.start && (start + seconds) * micros <= w.end) {
            cover.trailing = Trailing{start, seconds};
        }
        if (start * micros < w.start) {
            continue;  // before the window: read only as a trailing period
        }
        if (seconds == hour) {
            cover.hours.push_back(start);
            cover.hour_requests += r.get_int(i, 2);
        } else if (seconds == day && start % day == 0) {
            cover.days.push_back(start);
        }
    }
    return cover;
}

bool worth_reading(const RollupCover &cover, const Window &w) {
    std::int64_t covered = static_cast<std::int64_t>(cover.hours.size()) * hour * micros;
    return covered * 4 >= (w.end - w.start) * 3;
}

std::optional<LatencyReservation> LatencyReservation::take(long long latencies) {
    long long held = latencies_held.load();
    do {
        if (held + latencies > latencies_budget) {
            return std::nullopt;
        }
    } while (!latencies_held.compare_exchange_weak(held, held + latencies));
    return LatencyReservation(latencies);
}

LatencyReservation::LatencyReservation(LatencyReservation &&other) noexcept
    : latencies_(std::exchange(other.latencies_, 0)) {}

LatencyReservation &LatencyReservation::operator=(LatencyReservation &&other) noexcept {
    if (this != &other) {
        latencies_held -= latencies_;
        latencies_ = std::exchange(other.latencies_, 0);
    }
    return *this;
}

LatencyReservation::~LatencyReservation() {
    latencies_held -= latencies_;
}

void read_rolled_requests(Connection &db, const Window &w, const RollupCover &cover,
                          bool buckets, OverviewData &data) {
    const std::string step = std::to_string(w.bucket_seconds);
    std::map<std::int64_t, std::vector<double>> bucket_latencies;
    std::map<std::pair<std::string, bool>, std::vector<double>> path_latencies;

    Params params = {period_array(cover.hours)};
    const std::string host = host_rows(w, params);
    Result counts = db.exec_params(
        "SELECT floor(date_part('epoch', hour))::bigint / " + step + ", sum(status_1xx),"
        " sum(status_2xx), sum(status_3xx), sum(status_4xx), sum(status_5xx), sum(bytes_sent)"
        " FROM trace.rollup_hours WHERE hour IN (SELECT unnest($1::timestamptz[]))" + host +
        (buckets ? "" : " AND false") + " GROUP BY 1",
        params);
    for (int i = 0; i < counts.rows(); ++i) {
        Bucket &b = data.buckets.at(counts.get_int(i, 0));
        for (int c = 0; c < 5; ++c) {
            b.classes[c] += number_at(counts, i, 1 + c, 0);
        }
        b.bytes += number_at(counts, i, 6, 0);
    }
    // Binary: the latencies as their bytes; the rest cast to text.
    Result s = db.exec_binary(
        "SELECT (floor(date_part('epoch', hour))::bigint / " + step + ")::text, path,"
        " path_escaped::text, latencies FROM trace.rollup_latencies"
        " WHERE hour IN (SELECT unnest($1::timestamptz[]))" + host,
        params);
    for (int i = 0; i < s.rows(); ++i) {
        std::string_view bytes = s.get(i, 3);
        std::vector<double> *in_bucket = buckets ? &bucket_latencies[s.get_int(i, 0)] : nullptr;
        std::vector<double> *in_path =
            s.is_null(i, 1) ? nullptr
                            : &path_latencies[{std::string(s.get(i, 1)), s.get(i, 2) == "true"}];
        for (size_t at = 0; at + 8 <= bytes.size(); at += 8) {
            double v = float8_at(bytes.data() + at);
            if (in_bucket) {
                in_bucket->push_back(v);
            }
            if (in_path) {
                in_path->push_back(v);
            }
        }
    }

    WhereClause rest = rows_uncovered(w, cover.hours, hour, 1);
    Result r = db.exec_params(
        "SELECT floor(date_part('epoch', ts) / " + step + ")::bigint, status, bytes_sent,"
        " date_part('epoch', duration), path, coalesce('path' = ANY(escaped), false)"
        " FROM trace.requests " + rest.sql,
        rest.params);
    for (int i = 0; i < r.rows(); ++i) {
        if (buckets) {
            Bucket &b = data.buckets.at(r.get_int(i, 0));
            if (!r.is_null(i, 1)) {
                add_to_classes(b, static_cast<int>(r.get_int(i, 1)));
            }
            b.bytes += number_at(r, i, 2, 0);
        }
        std::vector<double> *in_path =
            r.is_null(i, 4) ? nullptr
                            : &path_latencies[{std::string(r.get(i, 4)), r.get(i, 5) == "t"}];
        if (!r.is_null(i, 3)) {
            double v = std::stod(std::string(r.get(i, 3)));
            if (buckets) {
                bucket_latencies[r.get_int(i, 0)].push_back(v);
            }
            if (in_path) {
                in_path->push_back(v);
            }
        }
    }

    const double fractions[] = {0.5, 0.95, 0.99};
    for (auto &[n, values] : bucket_latencies) {
        for (int k = 0; k < 3; ++k) {
            data.buckets.at(n).latency[k] = percentile_cont(values, fractions[k]);
        }
    }
    // By p95, the highest first and paths without a latency last, then by
    // the path's bytes (the rows' way: ORDER BY p95 DESC NULLS LAST, path
    // COLLATE "C").
    std::vector<TopRow> slowest;
    for (auto &[key, values] : path_latencies) {
        slowest.push_back({key.first, key.second, percentile_cont(values, 0.95)});
    }
    std::stable_sort(slowest.begin(), slowest.end(), [](const TopRow &a, const TopRow &b) {
        if (a.figure != b.figure) {
            return a.figure > b.figure;
        }
        return a.stored < b.stored;
    });
    if (slowest.size() > static_cast<size_t>(top_list_rows)) {
        slowest.resize(top_list_rows);
    }
    for (TopRow &row : slowest) {
        row.figure = std::max(row.figure, 0.0);  // no latency: shown as 0, as from the rows
    }
    data.tops.slowest_paths = std::move(slowest);
}

void read_rolled_tops(Connection &db, const Window &w, const RollupCover &cover, TopGrain grain,
                      Tops &tops) {
    const bool hourly = grain == TopGrain::hourly;
    const bool trailing = !hourly && cover.trailing;
    const std::vector<std::int64_t> &periods = hourly ? cover.hours : cover.days;
    Params params = {trailing ? format_utc_time(cover.trailing->start * micros)
                              : period_array(periods)};
    const std::string host = host_rows(w, params);
    // The rows of `range` outside `covered`, their parameters added.
    auto rows = [&params](const Window &range, const std::vector<std::int64_t> &covered,
                          std::int64_t seconds) {
        WhereClause where =
            rows_uncovered(range, covered, seconds, static_cast<int>(params.size()) + 1);
        params.insert(params.end(), where.params.begin(), where.params.end());
        return "(SELECT " + std::string(counted_columns) + " FROM trace.requests " + where.sql +
               ") AS r";
    };
    const std::vector<TopDim> dims = hourly ? std::vector<TopDim>{TopDim::path, TopDim::agent}
                                            : std::vector<TopDim>{TopDim::user, TopDim::client};
    std::string counts;
    if (hourly) {
        counts = "SELECT 'path' AS dim, path AS value, path_escaped AS escaped, requests AS n,"
                 " errors FROM trace.rollup_paths"
                 " WHERE hour IN (SELECT unnest($1::timestamptz[]))" +
                 host +
                 " UNION ALL SELECT 'agent', user_agent, agent_escaped, requests, 0"
                 " FROM trace.rollup_agents WHERE hour IN (SELECT unnest($1::timestamptz[]))" +
                 host + " UNION ALL (" + counted_per_dim(rows(w, periods, hour), dims) + ")";
    } else {
        const std::string summaries =
            trailing ? " seconds = " + std::to_string(cover.trailing->seconds) +
                           " AND start = $1::timestamptz"
                    : " seconds = 86400 AND start IN (SELECT unnest($1::timestamptz[]))";
        counts = "SELECT 'user' AS dim, user_name AS value, user_escaped AS escaped,"
                 " requests AS n, 0 AS errors FROM trace.rollup_users WHERE" + summaries + host +
                 " UNION ALL SELECT 'client', client, false, requests, 0"
                 " FROM trace.rollup_clients WHERE" + summaries + host;
        if (trailing) {
            // The trailing period [T, T + L), less the rows of [T, start),
            // plus those of [T + L, end): the window's, as it is L long.
            Window before = w, after = w;
            before.start = cover.trailing->start * micros;
            before.end = w.start;
            after.start = (cover.trailing->start + cover.trailing->seconds) * micros;
            counts += " UNION ALL SELECT dim, value, escaped, -n, -errors FROM (" +
                      counted_per_dim(rows(before, {}, hour), dims) + ") AS taken";
            counts += " UNION ALL (" + counted_per_dim(rows(after, {}, hour), dims) + ")";
        } else {
            counts += " UNION ALL (" + counted_per_dim(rows(w, periods, day), dims) + ")";
        }
    }
    read_ranked_tops(db, counts, params, dims, tops);
}

}  // namespace trace_ctl
