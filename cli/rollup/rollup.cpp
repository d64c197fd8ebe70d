#include "rollup/rollup.hpp"

#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "schema/citus.hpp"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trace_ctl {

namespace {

constexpr std::int64_t hour = 3600;
constexpr std::int64_t day = 86400;

// The periods of [from, to) (epoch seconds, whole days) that have ended by
// `hours_end` / `days_end` and are due: an hour whose stored fingerprint is
// missing or no longer its rows', a day without a row, or with an hour due
// or made after it.
// rollup_due (seconds, start and, for an hour, its fingerprint now), for this
// transaction.
void find_due(Connection &db, std::int64_t from, std::int64_t to, std::int64_t hours_end,
              std::int64_t days_end) {
    db.exec_params(
        "CREATE TEMP TABLE rollup_due ON COMMIT DROP AS "
        "WITH hours AS (SELECT to_timestamp(n * 3600) AS start FROM generate_series("
        "                 $1::bigint / 3600, least($2::bigint, $3::bigint) / 3600 - 1) AS n),"
        "     days AS (SELECT to_timestamp(n * 86400) AS start FROM generate_series("
        "                $1::bigint / 86400, least($2::bigint, $4::bigint) / 86400 - 1) AS n),"
        "     now_fp AS (SELECT * FROM trace.rollup_hour_fingerprints(to_timestamp($1::bigint),"
        "                                                              to_timestamp($2::bigint))),"
        "     due_hours AS ("
        "       SELECT 3600 AS seconds, h.start, coalesce(f.blocks, 0) AS blocks,"
        "              coalesce(f.block_rows, 0) AS block_rows,"
        "              coalesce(f.block_tag, 0) AS block_tag, coalesce(f.loose_rows, 0) AS loose_rows"
        "       FROM hours h LEFT JOIN now_fp f USING (start)"
        "       LEFT JOIN trace.rollup_periods r ON r.seconds = 3600 AND r.start = h.start"
        "       WHERE r.start IS NULL OR (r.blocks, r.block_rows, r.block_tag, r.loose_rows) <>"
        "             (coalesce(f.blocks, 0), coalesce(f.block_rows, 0), coalesce(f.block_tag, 0),"
        "              coalesce(f.loose_rows, 0)))"
        "SELECT * FROM due_hours UNION ALL "
        "SELECT 86400, d.start, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint FROM days d"
        " LEFT JOIN trace.rollup_periods r ON r.seconds = 86400 AND r.start = d.start"
        " WHERE r.start IS NULL OR EXISTS (SELECT FROM due_hours h"
        "       WHERE h.start >= d.start AND h.start < d.start + interval '1 day')"
        "    OR EXISTS (SELECT FROM trace.rollup_periods h WHERE h.seconds = 3600"
        "       AND h.start >= d.start AND h.start < d.start + interval '1 day'"
        "       AND h.rolled_at > r.rolled_at)",
        {std::to_string(from), std::to_string(to), std::to_string(hours_end),
         std::to_string(days_end)});
}

// The rows of each due period of `seconds`, as `due` joins them.
std::string rows_of_due(std::int64_t seconds) {
    return " FROM rollup_due u JOIN trace.requests r ON r.ts >= u.start AND r.ts < u.start + "
           "interval '" + std::to_string(seconds) + " seconds' WHERE u.seconds = " +
           std::to_string(seconds);
}

// Summaries of the due periods, from their rows in this snapshot, per host
// and for all hosts (host NULL). The conditions are the overview's
// (console/overview_sql.hpp), so that a sum of these is what it counts over
// the rows.
void summarise_due(Connection &db) {
    db.exec("INSERT INTO trace.rollup_hours SELECT u.start, r.host,"
            " count(*) FILTER (WHERE r.status < 200),"
            " count(*) FILTER (WHERE r.status BETWEEN 200 AND 299),"
            " count(*) FILTER (WHERE r.status BETWEEN 300 AND 399),"
            " count(*) FILTER (WHERE r.status BETWEEN 400 AND 499),"
            " count(*) FILTER (WHERE r.status >= 500),"
            " coalesce(sum(r.bytes_sent), 0)" +
            rows_of_due(hour) + " GROUP BY GROUPING SETS ((1, 2), (1))");
    db.exec("INSERT INTO trace.rollup_paths SELECT u.start, r.host, r.path,"
            " coalesce('path' = ANY(r.escaped), false), count(*),"
            " count(*) FILTER (WHERE r.status BETWEEN 400 AND 599)" +
            rows_of_due(hour) + " GROUP BY GROUPING SETS ((1, 2, 3, 4), (1, 3, 4))");
    db.exec("INSERT INTO trace.rollup_latencies SELECT u.start, r.host, r.path,"
            " coalesce('path' = ANY(r.escaped), false),"
            " coalesce(string_agg(float8send(date_part('epoch', r.duration)), ''::bytea"
            "     ORDER BY date_part('epoch', r.duration)) FILTER (WHERE r.duration IS NOT NULL),"
            "     ''::bytea)" +
            rows_of_due(hour) + " GROUP BY GROUPING SETS ((1, 2, 3, 4), (1, 3, 4))");
    db.exec("INSERT INTO trace.rollup_agents SELECT u.start, r.host, r.user_agent,"
            " coalesce('user_agent' = ANY(r.escaped), false), count(*)" +
            rows_of_due(hour) +
            " AND r.user_agent IS NOT NULL GROUP BY GROUPING SETS ((1, 2, 3, 4), (1, 3, 4))");
    db.exec("INSERT INTO trace.rollup_users SELECT 86400, u.start, r.host, r.user_name,"
            " coalesce('user_name' = ANY(r.escaped), false), count(*)" +
            rows_of_due(day) +
            " AND r.user_name IS NOT NULL GROUP BY GROUPING SETS ((2, 3, 4, 5), (2, 4, 5))");
    db.exec("INSERT INTO trace.rollup_clients SELECT 86400, u.start, r.host, host(r.client_addr),"
            " count(*)" + rows_of_due(day) +
            " AND r.client_addr IS NOT NULL GROUP BY GROUPING SETS ((2, 3, 4), (2, 4))");
    db.exec("INSERT INTO trace.rollup_periods (seconds, start, blocks, block_rows, block_tag,"
            " loose_rows, requests) SELECT u.seconds, u.start, u.blocks, u.block_rows,"
            " u.block_tag, u.loose_rows, (SELECT count(*) FROM trace.requests r WHERE"
            " r.ts >= u.start AND r.ts < u.start + u.seconds * interval '1 second')"
            " FROM rollup_due u");
}

// The summaries in [from, to) of periods no longer current (stale, or
// forgotten by the triggers of sql/0009) go before the due ones are made
// again.
void drop_stale(Connection &db, std::int64_t from, std::int64_t to) {
    db.exec("DELETE FROM trace.rollup_periods p USING rollup_due u"
            " WHERE p.seconds = u.seconds AND p.start = u.start");
    const struct {
        const char *table, *column;
        std::int64_t seconds;
    } summaries[] = {{"trace.rollup_hours", "hour", hour},
                     {"trace.rollup_paths", "hour", hour},
                     {"trace.rollup_latencies", "hour", hour},
                     {"trace.rollup_agents", "hour", hour},
                     {"trace.rollup_users", "start", day},
                     {"trace.rollup_clients", "start", day}};
    for (const auto &s : summaries) {
        const std::string seconds =
            s.seconds == hour ? std::string("3600") : std::string("d.seconds");
        db.exec_params(std::string("DELETE FROM ") + s.table + " d WHERE NOT EXISTS (SELECT FROM "
                "trace.rollup_periods p WHERE p.seconds = " + seconds +
                " AND p.start = d." + s.column + ") AND d." + s.column +
                " >= to_timestamp($1::bigint) AND d." + s.column + " < to_timestamp($2::bigint)",
                {std::to_string(from), std::to_string(to)});
    }
}

// The ts ranges of [from, to) outside the `seconds`-long periods at
// `starts` (ascending), as a condition on r.ts.
std::string outside(std::int64_t from, std::int64_t to, const std::vector<std::int64_t> &starts,
                    std::int64_t seconds) {
    std::string ranges;
    auto add = [&ranges](std::int64_t a, std::int64_t b) {
        ranges += std::string(ranges.empty() ? "" : " OR ") + "(r.ts >= to_timestamp(" +
                  std::to_string(a) + ") AND r.ts < to_timestamp(" + std::to_string(b) + "))";
    };
    std::int64_t at = from;
    for (std::int64_t s : starts) {
        if (s > at) {
            add(at, s);
        }
        at = std::max(at, s + seconds);
    }
    if (at < to) {
        add(at, to);
    }
    return ranges.empty() ? "false" : "(" + ranges + ")";
}

// The last `seconds` (24 hours, 7 days) of users and clients up to
// `hours_end`, for the console's windows of that length: made again unless the
// one there ends there and is newer than each of its hours; made only when
// all its hours are rolled up. From the whole days' summaries in it and the
// rows of the hours around them. Only the newest is kept. Returns whether it
// made one.
bool summarise_trailing(Connection &db, std::int64_t hours_end, std::int64_t seconds) {
    const std::int64_t start = hours_end - seconds;
    const std::string from = "to_timestamp(" + std::to_string(start) + ")";
    const std::string length = std::to_string(seconds);
    const std::string in_it = "h.seconds = 3600 AND h.start >= " + from + " AND h.start < " +
                              from + " + interval '" + length + " seconds'";
    Result state = db.exec(
        "SELECT (SELECT count(*) FROM trace.rollup_periods h WHERE " + in_it + "),"
        " EXISTS (SELECT FROM trace.rollup_periods t WHERE t.seconds = " + length +
        " AND t.start = " + from + " AND NOT EXISTS (SELECT FROM trace.rollup_periods h WHERE " +
        in_it + " AND h.rolled_at > t.rolled_at))");
    if (state.get(0, 1) == "t") {
        return false;
    }
    // The older trailing ones (a day's own period, at midnight, stays).
    const std::string trailing_ones =
        " WHERE seconds = " + length +
        (seconds == day ? " AND floor(date_part('epoch', start))::bigint % 86400 <> 0" : "");
    for (const char *table :
         {"trace.rollup_periods", "trace.rollup_users", "trace.rollup_clients"}) {
        db.exec(std::string("DELETE FROM ") + table + trailing_ones);
    }
    if (state.get_int(0, 0) != seconds / hour || (seconds == day && start % day == 0)) {
        return false;  // not all rolled up yet; or a day since midnight, made as such
    }
    Result days = db.exec("SELECT floor(date_part('epoch', start))::bigint"
                          " FROM trace.rollup_periods"
                          " WHERE seconds = 86400 AND start >= " + from + " AND start + interval"
                          " '1 day' <= " + from + " + interval '" + length + " seconds'"
                          " AND floor(date_part('epoch', start))::bigint % 86400 = 0 ORDER BY 1");
    std::vector<std::int64_t> starts;
    std::string list;
    for (int i = 0; i < days.rows(); ++i) {
        starts.push_back(days.get_int(i, 0));
        list += (list.empty() ? "" : ", ") + ("to_timestamp(" + std::string(days.get(i, 0)) + ")");
    }
    const std::string day_rows = list.empty() ? "false" : "start IN (" + list + ")";
    const std::string raw =
        " FROM trace.requests r WHERE " + outside(start, hours_end, starts, day);
    db.exec("INSERT INTO trace.rollup_users SELECT " + length + ", " + from +
            ", host, user_name, user_e, sum(n) FROM ("
            " SELECT host, user_name, user_escaped AS user_e, requests AS n FROM trace.rollup_users"
            "  WHERE seconds = 86400 AND " + day_rows +
            " UNION ALL SELECT r.host, r.user_name, coalesce('user_name' = ANY(r.escaped), false),"
            "  count(*)" + raw + " AND r.user_name IS NOT NULL"
            "  GROUP BY GROUPING SETS ((1, 2, 3), (2, 3))) AS x GROUP BY 3, 4, 5");
    db.exec("INSERT INTO trace.rollup_clients SELECT " + length + ", " + from +
            ", host, client, sum(n) FROM ("
            " SELECT host, client, requests AS n FROM trace.rollup_clients"
            "  WHERE seconds = 86400 AND " + day_rows +
            " UNION ALL SELECT r.host, host(r.client_addr), count(*)" + raw +
            "  AND r.client_addr IS NOT NULL GROUP BY GROUPING SETS ((1, 2), (2))) AS x"
            " GROUP BY 3, 4");
    db.exec("INSERT INTO trace.rollup_periods (seconds, start, requests) SELECT " + length + ", " +
            from + ", sum(h.requests) FROM trace.rollup_periods h WHERE " + in_it);
    return true;
}

// The server's words, and what to do about them.
PgError explain(const PgError &e) {
    if (e.sqlstate() == "42501") {
        return PgError(std::string(e.what()) +
                           " (rollup needs a role that is a member of trace_maintainer)",
                       e.sqlstate());
    }
    if (e.sqlstate() == "55P03") {
        return PgError(std::string(e.what()) +
                           " (another rollup, or a prune's deletes, held the summaries; try "
                           "again later)",
                       e.sqlstate());
    }
    return e;
}

int roll_up(const Context &ctx) {
    Connection db = Connection::open(ctx.conninfo());
    db.exec("SET TimeZone = 'UTC'");
    // A prune waits for this lock (its triggers take it): never hold it long,
    // never wait long for it.
    db.exec("SET lock_timeout = '10s'");
    if (db.exec("SELECT to_regclass('trace.rollup_periods') IS NULL").get(0, 0) == "t") {
        throw std::runtime_error("the schema has no rollups yet (sql/0009): run trace-ctl migrate");
    }
    if (requests_distributed(db)) {
        throw std::runtime_error("trace.requests is distributed by Citus, which keeps no "
                                 "rollups (sql/0009); the console reads its rows");
    }
    Result span = db.exec(
        "SELECT floor(date_part('epoch', min(ts)) / 86400)::bigint * 86400,"
        "       floor(date_part('epoch', now()) / 3600)::bigint * 3600,"
        "       floor(date_part('epoch', now()) / 86400)::bigint * 86400 FROM trace.requests");
    std::int64_t hours_end = span.get_int(0, 1), days_end = span.get_int(0, 2);
    std::int64_t first = span.is_null(0, 0) ? days_end : span.get_int(0, 0);

    long long hours = 0, days = 0;
    // One day a transaction, oldest first: each holds the lock a moment, and
    // a first run over a long history commits as it goes.
    for (std::int64_t from = first; from < hours_end; from += day) {
        db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
        try {
            // Before the snapshot (sql/0009's trigger explains the order).
            db.exec("LOCK TABLE trace.rollup_periods IN SHARE ROW EXCLUSIVE MODE");
            find_due(db, from, from + day, hours_end, days_end);
            drop_stale(db, from, from + day);
            summarise_due(db);
            Result n = db.exec("SELECT count(*) FILTER (WHERE seconds = 3600),"
                               " count(*) FILTER (WHERE seconds = 86400) FROM rollup_due");
            hours += n.get_int(0, 0);
            days += n.get_int(0, 1);
            db.exec("COMMIT");
        } catch (...) {
            db.exec("ROLLBACK");
            throw;
        }
    }
    // Summaries of periods before the oldest row (pruned away) go too; and
    // the last 24 hours and 7 days follow.
    std::string trailing;  // which trailing periods were made again
    db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    try {
        db.exec("LOCK TABLE trace.rollup_periods IN SHARE ROW EXCLUSIVE MODE");
        db.exec_params("DELETE FROM trace.rollup_periods WHERE start < to_timestamp($1::bigint)"
                       " AND seconds = 3600 OR start + seconds * interval '1 second' <="
                       " to_timestamp($1::bigint)",
                       {std::to_string(first)});
        db.exec("CREATE TEMP TABLE rollup_due (seconds integer, start timestamptz) ON COMMIT DROP");
        drop_stale(db, 0, first);
        for (std::int64_t seconds : {day, 7 * day}) {
            if (summarise_trailing(db, hours_end, seconds)) {
                trailing += std::string(trailing.empty() ? "" : " and ") +
                            (seconds == day ? "24 hours" : "7 days");
            }
        }
        db.exec("COMMIT");
    } catch (...) {
        db.exec("ROLLBACK");
        throw;
    }

    Result held = db.exec("SELECT count(*) FILTER (WHERE seconds = 3600),"
                          " count(*) FILTER (WHERE seconds = 86400 AND"
                          "  floor(date_part('epoch', start))::bigint % 86400 = 0)"
                          " FROM trace.rollup_periods");
    std::cout << "rolled up " << hours << (hours == 1 ? " hour" : " hours") << " and " << days
              << (days == 1 ? " day" : " days") << "; " << held.get_int(0, 0) << " hours and "
              << held.get_int(0, 1) << " days current, through "
              << format_utc_time(hours_end * 1000000)
              << (trailing.empty() ? ""
                                   : "; users and clients of the last " + trailing + " made again")
              << "\n";
    return exit_ok;
}

}  // namespace

int run_rollup(const Context &ctx) {
    try {
        return roll_up(ctx);
    } catch (const PgError &e) {
        throw explain(e);
    }
}

}  // namespace trace_ctl
