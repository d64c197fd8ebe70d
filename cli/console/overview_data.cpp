#include "console/overview_data.hpp"

#include "console/snapshot_reads.hpp"
#include "schema/citus.hpp"

#include <algorithm>
#include <utility>

namespace trace_ctl {

namespace {

constexpr int top_rows = 10;
constexpr std::int64_t micros = 1000000;

// Each condition matches the list its link opens (status=1xx is status < 200,
// as the CLI's classes start at 100).
const char *const class_conditions[] = {
    "status < 200", "status BETWEEN 200 AND 299", "status BETWEEN 300 AND 399",
    "status BETWEEN 400 AND 499", "status >= 500"};

double number_at(const Result &r, int row, int col, double unset) {
    return r.is_null(row, col) ? unset : std::stod(std::string(r.get(row, col)));
}

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

// Whether trace.requests is a Citus table (asked once per connection).
bool requests_distributed(Connection &db) {
    const char *fact = "trace.requests is distributed";
    if (db.facts().count(fact) == 0) {
        db.facts()[fact] = citus_version(db) && is_distributed(db, "trace.requests");
    }
    return db.facts()[fact];
}

void read_buckets(Connection &db, const Window &w, bool distributed, OverviewData &data) {
    WhereClause where = build_where(w.filter());
    std::string columns;
    for (const char *condition : class_conditions) {
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

// The five counted lists in one pass over the window, ranked in SQL. Citus
// runs no GROUPING SETS over a distributed table: there the window's rows are
// gathered first (a materialised CTE, which it plans on its own) and grouped
// on the coordinator.
void read_counted_tops(Connection &db, const Window &w, bool distributed, Tops &tops) {
    WhereClause where = build_where(w.filter());
    const std::string rows =
        "SELECT path, coalesce('path' = ANY(escaped), false) AS path_e, user_name,"
        "       coalesce('user_name' = ANY(escaped), false) AS user_e,"
        "       host(client_addr) AS client, user_agent,"
        "       coalesce('user_agent' = ANY(escaped), false) AS agent_e, status"
        " FROM trace.requests " + where.sql;
    const std::string grouped =
        (distributed ? "WITH r AS MATERIALIZED (" + rows + ") " : std::string()) +
        "SELECT CASE WHEN GROUPING(path, path_e) = 0 THEN 'path'"
        "            WHEN GROUPING(user_name, user_e) = 0 THEN 'user'"
        "            WHEN GROUPING(client) = 0 THEN 'client' ELSE 'agent' END AS dim,"
        "       CASE WHEN GROUPING(path, path_e) = 0 THEN path"
        "            WHEN GROUPING(user_name, user_e) = 0 THEN user_name"
        "            WHEN GROUPING(client) = 0 THEN client ELSE user_agent END AS value,"
        "       CASE WHEN GROUPING(path, path_e) = 0 THEN path_e"
        "            WHEN GROUPING(user_name, user_e) = 0 THEN user_e"
        "            WHEN GROUPING(client) = 0 THEN false ELSE agent_e END AS escaped,"
        "       count(*) AS n, count(*) FILTER (WHERE status BETWEEN 400 AND 599) AS errors"
        " FROM " + (distributed ? std::string("r") : "(" + rows + ") AS r") +
        " GROUP BY GROUPING SETS ((path, path_e), (user_name, user_e), (client),"
        "                         (user_agent, agent_e))";
    const std::string ranked =
        "SELECT dim, value, escaped, n, errors,"
        "       row_number() OVER (PARTITION BY dim ORDER BY n DESC, value) AS by_count,"
        "       row_number() OVER (PARTITION BY dim ORDER BY errors DESC, value) AS by_errors"
        " FROM (" + grouped + ") AS g WHERE value IS NOT NULL";
    const std::string limit = std::to_string(top_rows);
    Result r = db.exec_params(
        "SELECT dim, value, escaped, n, errors, by_count <= " + limit + ", by_errors FROM (" + ranked +
            ") AS t WHERE by_count <= " + limit + " OR (dim = 'path' AND errors > 0 AND by_errors <= " +
            limit + ") ORDER BY dim, n DESC, value",
        where.params);
    std::vector<std::pair<long long, TopRow>> by_errors;  // by rank
    for (int i = 0; i < r.rows(); ++i) {
        std::string dim(r.get(i, 0));
        TopRow row{std::string(r.get(i, 1)), r.get(i, 2) == "t", number_at(r, i, 3, 0)};
        long long error_rank = r.get_int(i, 6);
        if (dim == "path" && number_at(r, i, 4, 0) > 0 && error_rank <= top_rows) {
            by_errors.push_back({error_rank, {row.stored, row.escaped, number_at(r, i, 4, 0)}});
        }
        if (r.get(i, 5) == "t") {
            (dim == "path"     ? tops.paths
             : dim == "user"   ? tops.users
             : dim == "client" ? tops.clients
                               : tops.agents)
                .push_back(row);
        }
    }
    std::sort(by_errors.begin(), by_errors.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (const auto &ranked_row : by_errors) {
        tops.error_paths.push_back(ranked_row.second);
    }
}

// Grouped by the path's bytes (COLLATE "C"): the same groups, and a sort that
// compares bytes, more than twice as fast on a million rows as a locale's.
void read_slowest_paths(Connection &db, const Window &w, Tops &tops) {
    WhereClause where = build_where(w.filter());
    Result r = db.exec_params(
        "SELECT path COLLATE \"C\", coalesce('path' = ANY(escaped), false),"
        "       percentile_cont(0.95) WITHIN GROUP (ORDER BY date_part('epoch', duration)) AS p95"
        " FROM trace.requests " + where.sql + " AND path IS NOT NULL"
        " GROUP BY 1, 2 ORDER BY p95 DESC NULLS LAST, 1 LIMIT " + std::to_string(top_rows),
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
    // Each panel fills its own part of data. The sorts of the percentiles in
    // memory.
    std::vector<SnapshotRead> panels = {
        [&](Connection &c) { read_buckets(c, w, distributed, data); },
        [&](Connection &c) { read_counted_tops(c, w, distributed, data.tops); },
        [&](Connection &c) { read_slowest_paths(c, w, data.tops); },
    };
    if (distributed) {
        // Citus plans each statement over all its workers already, and an
        // exported snapshot is the coordinator's alone: one after the other.
        panels = {[&](Connection &c) {
            read_buckets(c, w, distributed, data);
            read_counted_tops(c, w, distributed, data.tops);
            read_slowest_paths(c, w, data.tops);
        }};
    }
    read_in_one_snapshot(pool, db, "SET LOCAL work_mem = '64MB'", panels);
    return data;
}

}  // namespace trace_ctl
