// trace-ctl prune: keeps trace.requests (and trace.audit, when asked) at a
// bounded size and, when asked, at a bounded age, and forgets old entries of
// the exactly-once ledger and old rejected rows.
//
// trace.requests has no index on id (sql/0007), only requests_ts_idx: its
// newest N rows are its N latest by time, and the rows before the N-th
// newest's time (or before an age) are deleted in small transactions over
// time ranges whose lower bound only moves up, each as long as the batch
// size, so no batch walks the index entries an earlier batch left dead and no
// lock is held for long. Rows that share the cutoff's time are all kept. A
// row replayed from a spool has its request's time, so it is as old as the
// requests of that moment.
//
// trace.audit keeps its primary key (id, host): its cutoff is the id of the
// N-th newest row, found by walking the key backwards, and the rows below it
// go in id ranges; rows nginx inserts meanwhile get ids above the cutoff. By
// age, the id span of the older rows is found through the ts index, and the
// same id ranges walk it with the time as a filter.

#include "schema/prune.hpp"

#include "app/pg.hpp"
#include "schema/citus.hpp"
#include "schema/prune_ranges.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

namespace trace_ctl {

namespace {

// Two prune runs on one database (cron on several web servers) would only do
// the same work twice; the second one steps aside.
constexpr long long prune_lock_key = 0x6e67782d7072756e;  // "ngx-prun"

using Clock = std::chrono::steady_clock;

std::string elapsed(Clock::time_point started) {
    double s = std::chrono::duration<double>(Clock::now() - started).count();
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
    return buf;
}

std::optional<std::int64_t> optional_int(const Result &r) {
    if (r.rows() == 0 || r.is_null(0, 0)) {
        return std::nullopt;
    }
    return r.get_int(0, 0);
}

std::optional<std::string> optional_text(const Result &r) {
    if (r.rows() == 0 || r.is_null(0, 0)) {
        return std::nullopt;
    }
    return std::string(r.get(0, 0));
}

class Pruner {
public:
    Pruner(Connection &db, const PruneOptions &opts, bool verbose)
        : db_(db), opts_(opts), verbose_(verbose) {}

    // Keeps the `keep` newest rows of `table` (requests or audit).
    void keep_newest(const std::string &table, std::int64_t keep) {
        if (by_time(table)) {
            keep_latest(table, keep);
            return;
        }
        auto started = Clock::now();
        std::optional<std::int64_t> oldest = optional_int(db_.exec("SELECT min(id) FROM " + table));
        std::optional<std::int64_t> cutoff = find_cutoff(table, keep);
        if (!oldest || !cutoff || *cutoff <= *oldest) {
            std::cout << table << ": no more than " << keep << " rows; nothing to delete\n";
            return;
        }
        std::string below = "with id < " + std::to_string(*cutoff);
        if (opts_.dry_run) {
            long long n = count(table, "id < $1::bigint", std::to_string(*cutoff));
            std::cout << table << ": would delete " << n << " rows " << below
                      << " and keep the newest " << keep << '\n';
            return;
        }
        long long deleted = delete_id_ranges(table, *oldest, *cutoff, {});
        std::cout << table << ": deleted " << deleted << " rows " << below
                  << ", kept the newest " << keep << " (" << elapsed(started) << ")\n";
    }

    // Deletes the rows of `table` (requests or audit) that started before
    // `before` (a timestamptz).
    void drop_older(const std::string &table, const std::string &before, const std::string &why) {
        auto started = Clock::now();
        Result span = db_.exec_params(
            std::string(by_time(table) ? "SELECT min(ts)" : "SELECT min(id), max(id)") +
                " FROM " + table + " WHERE ts < $1::timestamptz",
            {before});
        if (span.is_null(0, 0)) {
            std::cout << table << ": no row older than " << before << why << '\n';
            return;
        }
        if (opts_.dry_run) {
            long long n = count(table, "ts < $1::timestamptz", before);
            std::cout << table << ": would delete " << n << " rows older than " << before << why
                      << '\n';
            return;
        }
        long long deleted = by_time(table)
                                ? delete_time_ranges(table, std::string(span.get(0, 0)), before)
                                : delete_id_ranges(table, span.get_int(0, 0),
                                                   one_past(span.get_int(0, 1)), before);
        std::cout << table << ": deleted " << deleted << " rows older than " << before << why
                  << " (" << elapsed(started) << ")\n";
    }

    // Forgets ledger entries committed before `before` (a timestamptz).
    void forget_batches(const std::string &before, const std::string &why) {
        const std::string table = "trace.batches";
        auto started = Clock::now();
        if (opts_.dry_run) {
            long long n = count(table, "committed_at < $1::timestamptz", before);
            std::cout << table << ": would delete " << n << " ledger entries committed before "
                      << before << why << '\n';
            return;
        }
        // Keyset over committed_at (indexed): each batch starts where the last
        // one ended.
        const std::string sql =
            "WITH doomed AS ("
            "  SELECT host, batch_id FROM trace.batches"
            "  WHERE committed_at >= $1::timestamptz AND committed_at < $3::timestamptz"
            "  ORDER BY committed_at LIMIT $2::bigint),"
            " gone AS ("
            "  DELETE FROM trace.batches b USING doomed d"
            "  WHERE b.host = d.host AND b.batch_id = d.batch_id"
            "  RETURNING b.committed_at)"
            "SELECT count(*), max(committed_at) FROM gone";
        long long deleted = delete_by_time_keyset(table, sql, before, false);
        std::cout << table << ": deleted " << deleted << " ledger entries committed before "
                  << before << why << " (" << elapsed(started) << ")\n";
    }

    // Deletes the blocks (sql/0006) that can cover no row left: those that end
    // before the oldest request, or every block when no request is left. Run
    // after the requests are pruned, in batches keyed on last_ts as the ledger
    // is. Each batch finds the oldest request in the statement that deletes:
    // one snapshot, so that a batch replayed from a spool (old rows and their
    // blocks committed together) is either seen whole, its rows holding the
    // cutoff back, or not at all, its blocks then untouched.
    //
    // Citus has no such snapshot: it reads the oldest request, then the
    // blocks, then deletes, each step on the nodes anew, and a replayed batch
    // committed between the first two would lose its blocks. There each batch
    // first locks the blocks against writers (the module writes through the
    // coordinator, and waits these few milliseconds; reading goes on): a batch
    // that wrote blocks is committed before the oldest request is read, and
    // one that did not yet waits until the batch has deleted.
    void forget_blocks(bool citus) {
        const std::string table = "trace.request_blocks";
        auto started = Clock::now();
        if (db_.exec("SELECT to_regclass('trace.request_blocks') IS NOT NULL").get(0, 0) != "t") {
            return;  // a schema before 0006
        }
        // requests_ts_idx answers min(ts) from its first live entry.
        const std::string oldest_request = "(SELECT min(ts) FROM trace.requests)";
        const std::string uncovered =
            "last_ts < coalesce(" + oldest_request + ", 'infinity'::timestamptz)";
        std::optional<std::string> oldest = optional_text(db_.exec("SELECT " + oldest_request));
        if (opts_.dry_run) {
            long long n = db_.exec("SELECT count(*) FROM " + table + " WHERE " + uncovered)
                              .get_int(0, 0);
            std::cout << table << ": would delete " << n << " blocks "
                      << (oldest ? "that end before the oldest request (" + *oldest + ")"
                                 : std::string("(there is no request)"))
                      << ", and then those of the requests deleted above\n";
            return;
        }
        const std::string sql =
            "WITH doomed AS ("
            "  SELECT host, batch_id, block FROM trace.request_blocks"
            "  WHERE last_ts >= $1::timestamptz AND " + uncovered +
            "  ORDER BY last_ts LIMIT $2::bigint),"
            " gone AS ("
            "  DELETE FROM trace.request_blocks b USING doomed d"
            "  WHERE b.host = d.host AND b.batch_id = d.batch_id AND b.block = d.block"
            "  RETURNING b.last_ts)"
            "SELECT count(*), max(last_ts) FROM gone";
        long long deleted = delete_by_time_keyset(table, sql, std::nullopt, citus);
        std::cout << table << ": deleted " << deleted << " blocks "
                  << (oldest ? "that end before the oldest request left (" + *oldest + ")"
                             : std::string("(no request is left)"))
                  << " (" << elapsed(started) << ")\n";
    }

    // Forgets rejected rows recorded before `before`. The table has no index on
    // ts and stays small, so the id ranges carry the time as a filter.
    void forget_rejected(const std::string &before, const std::string &why) {
        const std::string table = "trace.rejected";
        auto started = Clock::now();
        if (opts_.dry_run) {
            long long n = count(table, "ts < $1::timestamptz", before);
            std::cout << table << ": would delete " << n << " rows recorded before " << before
                      << why << '\n';
            return;
        }
        Result bounds = db_.exec("SELECT min(id), max(id) FROM " + table);
        long long deleted = 0;
        if (!bounds.is_null(0, 0)) {
            deleted = delete_id_ranges(table, bounds.get_int(0, 0), one_past(bounds.get_int(0, 1)),
                                       before);
        }
        std::cout << table << ": deleted " << deleted << " rows recorded before " << before << why
                  << " (" << elapsed(started) << ")\n";
    }

private:
    // Whether `table` is pruned by time: trace.requests, which has no index on
    // id (see the top of this file).
    static bool by_time(const std::string &table) { return table == "trace.requests"; }

    // keep_newest for a table pruned by time: the rows older than the time of
    // the `keep`-th newest go.
    void keep_latest(const std::string &table, std::int64_t keep) {
        auto started = Clock::now();
        const std::string nothing = ": no more than " + std::to_string(keep) +
                                    " rows; nothing to delete\n";
        std::string cutoff = "infinity";  // keep nothing
        std::optional<std::int64_t> offset = cutoff_offset(keep);
        if (offset) {
            std::optional<std::string> nth = optional_text(db_.exec_params(
                "SELECT ts FROM " + table + " ORDER BY ts DESC OFFSET $1::bigint LIMIT 1",
                {std::to_string(*offset)}));
            if (!nth) {
                std::cout << table << nothing;
                return;
            }
            cutoff = *nth;
        }
        std::optional<std::string> oldest = oldest_before(table, cutoff);
        if (offset && !oldest) {  // none older than the N-th newest: ties at its time
            std::cout << table << nothing;
            return;
        }
        std::string below = "older than " + cutoff;
        if (opts_.dry_run) {
            long long n = count(table, "ts < $1::timestamptz", cutoff);
            std::cout << table << ": would delete " << n << " rows " << below
                      << " and keep the newest " << keep << '\n';
            return;
        }
        long long deleted = oldest ? delete_time_ranges(table, *oldest, cutoff) : 0;
        std::cout << table << ": deleted " << deleted << " rows " << below
                  << ", kept the newest " << keep << " (" << elapsed(started) << ")\n";
    }

    // The time of the oldest row before `before`, through the ts index.
    std::optional<std::string> oldest_before(const std::string &table, const std::string &before) {
        return optional_text(db_.exec_params(
            "SELECT min(ts) FROM " + table + " WHERE ts < $1::timestamptz", {before}));
    }

    // Deletes the rows with `oldest` <= ts < `before` (`oldest`: the time of
    // the oldest of them), one transaction per batch_size of them, oldest
    // first, through the ts index. Each batch ends at the time of the row
    // batch_size on; when more rows than that share the batch's first time, it
    // ends at the next time instead.
    long long delete_time_ranges(const std::string &table, const std::string &oldest,
                                 const std::string &before) {
        const std::string from = " FROM " + table + " WHERE ts >= $1::timestamptz AND ";
        std::string lo = oldest;
        long long deleted = 0;
        for (;;) {
            std::optional<std::string> hi = optional_text(
                db_.exec_params("SELECT ts" + from + "ts < $2::timestamptz ORDER BY ts "
                                "OFFSET $3::bigint LIMIT 1",
                                {lo, before, std::to_string(opts_.batch_size)}));
            if (hi && *hi == lo) {
                hi = optional_text(db_.exec_params(
                    "SELECT min(ts) FROM " + table + " WHERE ts > $1::timestamptz AND "
                    "ts < $2::timestamptz",
                    {lo, before}));
            }
            std::string end = hi.value_or(before);
            long long n =
                db_.exec_params("DELETE" + from + "ts < $2::timestamptz", {lo, end}).affected();
            deleted += n;
            if (verbose_) {
                std::cerr << table << ": from " << lo << " to " << end << ": " << n
                          << " deleted\n";
            }
            if (!hi) {
                return deleted;
            }
            lo = end;
        }
    }

    // The lowest id to keep, or nothing when there is nothing to delete.
    std::optional<std::int64_t> find_cutoff(const std::string &table, std::int64_t keep) {
        if (std::optional<std::int64_t> offset = cutoff_offset(keep)) {
            return optional_int(db_.exec_params(
                "SELECT id FROM " + table + " ORDER BY id DESC OFFSET $1::bigint LIMIT 1",
                {std::to_string(*offset)}));
        }
        std::optional<std::int64_t> newest = optional_int(db_.exec("SELECT max(id) FROM " + table));
        if (!newest) {
            return std::nullopt;
        }
        return one_past(*newest);
    }

    // Runs `sql`, a DELETE of at most $2 rows whose time is $1 or later that
    // answers how many it deleted and the latest time among them (with
    // `bound` as $3), one transaction a batch, until a batch is not full. Rows
    // that share the last time of a batch are found again by the next, which
    // is why each starts at that time, not after it. With `lock_writers`, each
    // transaction first takes the table's EXCLUSIVE lock: no one writes to it
    // meanwhile, and every reader may.
    long long delete_by_time_keyset(const std::string &table, const std::string &sql,
                                    const std::optional<std::string> &bound, bool lock_writers) {
        std::string lo = "-infinity";
        long long deleted = 0;
        for (;;) {
            std::vector<std::optional<std::string>> params = {lo,
                                                              std::to_string(opts_.batch_size)};
            if (bound) {
                params.push_back(*bound);
            }
            if (lock_writers) {
                db_.exec("BEGIN");
                db_.exec("LOCK TABLE " + table + " IN EXCLUSIVE MODE");
            }
            Result r = db_.exec_params(sql, params);
            if (lock_writers) {
                db_.exec("COMMIT");
            }
            long long n = r.get_int(0, 0);
            deleted += n;
            if (verbose_) {
                std::cerr << table << ": from " << lo << ": " << n << " deleted\n";
            }
            if (n < opts_.batch_size) {
                return deleted;
            }
            lo = std::string(r.get(0, 1));
        }
    }

    long long count(const std::string &table, const std::string &condition,
                    const std::string &param) {
        return db_.exec_params("SELECT count(*) FROM " + table + " WHERE " + condition, {param})
            .get_int(0, 0);
    }

    // Deletes lo <= id < cutoff, one transaction per batch of ids; with
    // `ts_before`, only rows whose ts is earlier.
    long long delete_id_ranges(const std::string &table, std::int64_t lo, std::int64_t cutoff,
                               const std::optional<std::string> &ts_before) {
        std::string sql = "DELETE FROM " + table + " WHERE id >= $1::bigint AND id < $2::bigint";
        if (ts_before) {
            sql += " AND ts < $3::timestamptz";
        }
        long long deleted = 0;
        while (std::optional<IdRange> range = next_id_range(lo, cutoff, opts_.batch_size)) {
            std::vector<std::optional<std::string>> params = {std::to_string(range->lo),
                                                              std::to_string(range->hi)};
            if (ts_before) {
                params.push_back(*ts_before);
            }
            long long n = db_.exec_params(sql, params).affected();
            deleted += n;
            if (verbose_) {
                std::cerr << table << ": ids " << range->lo << " to " << range->hi - 1 << ": "
                          << n << " deleted\n";
            }
            lo = range->hi;
            if (n == 0) {
                // A gap in the ids (rolled-back inserts, an altered sequence):
                // jump to the next row rather than walking empty ranges.
                std::optional<std::int64_t> next = optional_int(db_.exec_params(
                    "SELECT min(id) FROM " + table + " WHERE id >= $1::bigint AND id < $2::bigint",
                    {std::to_string(lo), std::to_string(cutoff)}));
                if (!next) {
                    break;
                }
                lo = *next;
            }
        }
        return deleted;
    }

    Connection &db_;
    const PruneOptions &opts_;
    bool verbose_;
};

// The server's words are right but do not say what to do about them.
PgError explain(const PgError &e) {
    const std::string &state = e.sqlstate();
    if (state == "42P01" || state == "3F000") {
        return PgError(std::string(e.what()) + " (is the schema there? run trace-ctl migrate)",
                       state);
    }
    if (state == "42501") {
        return PgError(std::string(e.what()) +
                           " (prune needs a role that is a member of trace_maintainer)",
                       state);
    }
    if (state == "55P03") {
        return PgError(std::string(e.what()) +
                           " (a table is locked by another session; try again later)",
                       state);
    }
    return e;
}

}  // namespace

int run_prune(const Context &ctx, const PruneOptions &opts) {
    const Config &config = ctx.config;
    std::int64_t keep_requests = opts.max_count.value_or(config.max_log_count);
    std::optional<std::int64_t> keep_audit =
        opts.max_audit_count ? opts.max_audit_count : config.max_audit_count;
    std::int64_t retention_days = opts.retention_days.value_or(config.batch_retention_days);
    std::optional<std::int64_t> age_requests =
        opts.max_age_days ? opts.max_age_days : config.max_age_days;
    std::optional<std::int64_t> age_audit =
        opts.max_audit_age_days ? opts.max_audit_age_days : config.max_audit_age_days;

    Connection db = Connection::open(ctx.conninfo());
    try {
        // Timestamps in the output and in the keyset round-trip exactly in UTC.
        db.exec("SET TimeZone = 'UTC'");
        // Never queue for long behind DDL (and make nginx's inserts queue behind us).
        db.exec("SET lock_timeout = '10s'");
        if (!opts.dry_run) {
            Result locked =
                db.exec("SELECT pg_try_advisory_lock(" + std::to_string(prune_lock_key) + ")");
            if (locked.get(0, 0) != "t") {
                std::cout << "another trace-ctl prune is running on this database; "
                             "nothing done\n";
                return exit_ok;
            }
        }

        // The moment `days` ago, as the database sees it, and how to say it.
        auto days_ago = [&db](std::int64_t days) {
            return std::string(db.exec_params("SELECT now() - make_interval(days => $1::int)",
                                              {std::to_string(days)})
                                   .get(0, 0));
        };
        auto days_text = [](std::int64_t days) { return " (" + std::to_string(days) + " days)"; };

        // Both limits apply when both are set: by count, then by age.
        Pruner pruner(db, opts, ctx.options.verbose);
        pruner.keep_newest("trace.requests", keep_requests);
        if (age_requests) {
            pruner.drop_older("trace.requests", days_ago(*age_requests), days_text(*age_requests));
        }
        pruner.forget_blocks(citus_version(db).has_value());
        if (keep_audit) {
            pruner.keep_newest("trace.audit", *keep_audit);
        }
        if (age_audit) {
            pruner.drop_older("trace.audit", days_ago(*age_audit), days_text(*age_audit));
        }
        if (!keep_audit && !age_audit) {
            std::cout << "trace.audit: every row kept (neither max_audit_count nor "
                         "max_audit_age_days is set)\n";
        }

        std::string before = days_ago(retention_days);
        std::string why = days_text(retention_days);
        pruner.forget_batches(before, why);
        pruner.forget_rejected(before, why);
    } catch (const PgError &e) {
        throw explain(e);
    }
    return exit_ok;
}

}  // namespace trace_ctl
