#include "console/overview_data.hpp"

#include "console/overview_rollup.hpp"
#include "console/overview_sql.hpp"
#include "console/snapshot_reads.hpp"
#include "schema/citus.hpp"

#include <algorithm>
#include <utility>

namespace trace_ctl {

namespace {

constexpr std::int64_t micros = 1000000;

// SELECT ... FROM the window's buckets, each with its own ts range: the rows
// of `table` the window selects (`where`) and `columns` over them.
// Distributed by Citus, the table is read in one GROUP BY instead: Citus
// pushes no aggregate of a LATERAL subquery over generate_series down to the
// shards, and gathers the rows of an ordered-set aggregate (the percentiles)
// on the coordinator. A bucket is the same either way: n * step <= epoch <
// (n + 1) * step (a float8 epoch of today is within a quarter of a
// microsecond of the stored one, and a boundary is a whole second: floor()
// puts every row where the ts range would).
std::string per_bucket(const Window &w, const WhereClause &where, const std::string &table,
                       const std::string &columns, bool distributed) {
    std::string step = std::to_string(w.bucket_seconds);
    if (distributed) {
        return "SELECT floor(date_part('epoch', ts) / " + step + ")::bigint AS n, " + columns +
               " FROM " + table + " " + where.sql + " GROUP BY 1 ORDER BY 1";
    }
    return "SELECT b.n, s.* FROM generate_series(" +
           std::to_string(w.start / micros / w.bucket_seconds) + "::bigint, " +
           std::to_string((w.end - 1) / micros / w.bucket_seconds) +
           "::bigint) AS b(n), LATERAL (SELECT " + columns + " FROM " + table + " " + where.sql +
           " AND ts >= to_timestamp(b.n * " + step + ") AND ts < to_timestamp((b.n + 1) * " +
           step + ")) AS s ORDER BY b.n";
}

void read_request_buckets(Connection &db, const Window &w, bool distributed, OverviewData &data) {
    WhereClause where = build_where(w.filter());
    std::string columns;
    for (const char *condition : status_class_conditions) {
        columns += "count(*) FILTER (WHERE " + std::string(condition) + "), ";
    }
    // Seconds as float8: numeric (what extract returns) sorts many times slower.
    columns += "percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP "
               "(ORDER BY date_part('epoch', duration)), coalesce(sum(bytes_sent), 0)";
    Result r = db.exec_params(per_bucket(w, where, "trace.requests", columns, distributed),
                              where.params);
    for (int i = 0; i < r.rows(); ++i) {
        Bucket &b = data.buckets[r.get_int(i, 0)];
        for (int c = 0; c < 5; ++c) {
            b.classes[c] = number_at(r, i, 1 + c, 0);
        }
        if (!r.is_null(i, 6)) {
            // {0.001,0.2,0.5}
            std::string list(r.get(i, 6));
            std::size_t pos = 1;
            for (double &p : b.latency) {
                std::size_t end = list.find_first_of(",}", pos);
                p = std::stod(list.substr(pos, end - pos));
                pos = end + 1;
            }
        }
        b.bytes = number_at(r, i, 7, 0);
    }
}

void read_audit_buckets(Connection &db, const Window &w, bool distributed, OverviewData &data) {
    WhereClause where = build_where(w.filter());
    std::string actions;
    for (const char *a : audit_action_names) {
        actions += (actions.empty() ? "" : ", ") + std::string("count(*) FILTER (WHERE action = '") +
                   a + "')";
    }
    Result audit =
        db.exec_params(per_bucket(w, where, "trace.audit", actions, distributed), where.params);
    for (int i = 0; i < audit.rows(); ++i) {
        Bucket &b = data.buckets[audit.get_int(i, 0)];
        for (int a = 0; a < 3; ++a) {
            b.actions[a] = number_at(audit, i, 1 + a, 0);
        }
    }
}

// The counted lists in one pass over the window, ranked in SQL. Citus runs
// no GROUPING SETS over a distributed table: there the window's rows are
// gathered first (a materialised CTE, which it plans on its own) and grouped
// on the coordinator.
void read_counted_tops(Connection &db, const Window &w, bool distributed, Tops &tops) {
    WhereClause where = build_where(w.filter());
    const std::string rows =
        "SELECT " + std::string(counted_columns) + " FROM trace.requests " + where.sql;
    const std::vector<TopDim> dims = {TopDim::path, TopDim::user, TopDim::client, TopDim::agent};
    std::string counts = distributed ? "WITH r AS MATERIALIZED (" + rows + ") " +
                                           counted_per_dim("r", dims)
                                     : counted_per_dim("(" + rows + ") AS r", dims);
    read_ranked_tops(db, counts, where.params, dims, tops);
}

// Grouped by the path's bytes (COLLATE "C"): the same groups, and a sort that
// compares bytes, more than twice as fast on a million rows as a locale's.
void read_slowest_paths(Connection &db, const Window &w, Tops &tops) {
    WhereClause where = build_where(w.filter());
    Result r = db.exec_params(
        "SELECT path COLLATE \"C\", coalesce('path' = ANY(escaped), false),"
        "       percentile_cont(0.95) WITHIN GROUP (ORDER BY date_part('epoch', duration)) AS p95"
        " FROM trace.requests " + where.sql + " AND path IS NOT NULL"
        " GROUP BY 1, 2 ORDER BY p95 DESC NULLS LAST, 1 LIMIT " + std::to_string(top_list_rows),
        where.params);
    for (int i = 0; i < r.rows(); ++i) {
        tops.slowest_paths.push_back({std::string(r.get(i, 0)), r.get(i, 1) == "t",
                                      number_at(r, i, 2, 0)});
    }
}

}  // namespace

OverviewData read_overview(ConnectionPool &pool, Connection &db, const Window &w) {
    OverviewData data;
    for (std::int64_t n = w.start / micros / w.bucket_seconds;
         n <= (w.end - 1) / micros / w.bucket_seconds; ++n) {
        data.buckets[n];
    }
    bool distributed = requests_distributed(db);
    // Whether the summaries serve (known in the snapshot, before the panels).
    RollupCover cover;
    bool rolled = false;
    std::optional<LatencyReservation> reservation;  // held while the panels read
    SnapshotRead look_at_rollups;
    if (rollups_apply(db, distributed)) {
        look_at_rollups = [&](Connection &c) {
            cover = read_rollup_cover(c, w);
            if (worth_reading(cover, w)) {
                reservation = LatencyReservation::take(cover.hour_requests);
                rolled = reservation.has_value();
            }
        };
    }
    // Each panel fills its own part of data; the audit's counts go to a copy
    // of the buckets, merged after, while the requests' fill the buckets.
    OverviewData audit = data;
    // The panels write to distinct members (users and clients apart from the
    // other lists).
    Tops daily;
    // Hours make a bucket only when it is whole hours; else the buckets come
    // from the rows, and the summaries' latencies serve the slowest paths.
    const bool hourly_buckets = w.bucket_seconds % 3600 == 0;
    std::vector<SnapshotRead> panels = {
        [&](Connection &c) {
            rolled && hourly_buckets ? read_rolled_requests(c, w, cover, true, data)
                                     : read_request_buckets(c, w, distributed, data);
        },
        [&](Connection &c) {
            if (!rolled) {
                read_counted_tops(c, w, distributed, data.tops);
                return;
            }
            read_rolled_tops(c, w, cover, TopGrain::hourly, data.tops);
            if (!hourly_buckets) {
                read_rolled_requests(c, w, cover, false, data);
            }
        },
        [&](Connection &c) {
            rolled ? read_rolled_tops(c, w, cover, TopGrain::daily, daily)
                   : read_slowest_paths(c, w, data.tops);
        },
        [&](Connection &c) { read_audit_buckets(c, w, distributed, audit); },
    };
    if (distributed) {
        // Citus plans each statement over all its workers already, and an
        // exported snapshot is the coordinator's alone: one after the other.
        panels = {[&](Connection &c) {
            read_request_buckets(c, w, distributed, data);
            read_audit_buckets(c, w, distributed, audit);
            read_counted_tops(c, w, distributed, data.tops);
            read_slowest_paths(c, w, data.tops);
        }};
    }
    read_in_one_snapshot(pool, db, "SET LOCAL work_mem = '64MB'", panels, look_at_rollups);
    if (rolled) {
        data.tops.users = std::move(daily.users);
        data.tops.clients = std::move(daily.clients);
    }
    for (auto &[n, b] : data.buckets) {
        std::copy(std::begin(audit.buckets[n].actions), std::end(audit.buckets[n].actions),
                  std::begin(b.actions));
    }
    return data;
}

}  // namespace trace_ctl
