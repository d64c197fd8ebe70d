#include "records/block_walk.hpp"

#include "records/block_keys.hpp"
#include "records/block_walk_sql.hpp"
#include "records/page_query.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <map>

namespace trace_ctl {

namespace {

// The first step reads 16 blocks, each next one four times as many: a common
// key is done after one step, a rare one reaches old blocks in few.
constexpr long long first_step = 16;
constexpr long long step_growth = 4;

// Runs the walk's statements; with `plans`, explains each one first.
class Runner {
public:
    Runner(Connection &db, nlohmann::json *plans) : db_(db), plans_(plans) {}

    Result run(const char *what, const Statement &s) {
        if (plans_) {
            Result plan = db_.exec_params("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + s.sql,
                                          s.params);
            for (nlohmann::json &p : nlohmann::json::parse(plan.get(0, 0))) {
                p["Statement"] = what;
                plans_->push_back(std::move(p));
            }
        }
        return db_.exec_params(s.sql, s.params);
    }

private:
    Connection &db_;
    nlohmann::json *plans_;
};

// Row `i` of `r`: its first `width` columns, those of the listing (the walk's
// range statements select two more).
RecordRow leading_columns(const Result &r, int i, size_t width) {
    RecordRow row;
    for (size_t c = 0; c < width; ++c) {
        row.push_back(r.get_optional(i, static_cast<int>(c)));
    }
    return row;
}

std::vector<TimeRange> ranges_of(const Result &r) {
    std::vector<TimeRange> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.get_int(i, 0), r.get_int(i, 1)});
    }
    return out;
}

// Matches found so far, newest first by (ts, id); a row met twice counts once.
class Found {
public:
    Found(const ColumnSet &set, long long keep) : ts_column_(set.index_of("ts")), keep_(keep),
                                                  width_(set.columns.size()) {}

    void add(const Result &r) {
        for (int i = 0; i < r.rows(); ++i) {
            RecordRow row = leading_columns(r, i, width_);
            Key key{std::stoll(*row[ts_column_]), std::stoll(*row[0])};
            rows_.emplace(key, std::move(row));
        }
        // Rows past the `keep` newest can never be shown.
        while (static_cast<long long>(rows_.size()) > keep_) {
            rows_.erase(std::prev(rows_.end()));
        }
    }

    // How many are strictly newer than `ts`.
    long long newer_than(EpochMicros ts) const {
        long long n = 0;
        for (const auto &entry : rows_) {
            if (entry.first.first <= ts) {
                break;
            }
            ++n;
        }
        return n;
    }
    long long size() const { return static_cast<long long>(rows_.size()); }

    std::vector<RecordRow> page(long long offset, long long count) const {
        std::vector<RecordRow> out;
        long long i = 0;
        for (const auto &entry : rows_) {
            if (i >= offset && i < offset + count) {
                out.push_back(entry.second);
            }
            ++i;
        }
        return out;
    }

private:
    using Key = std::pair<EpochMicros, long long>;  // ts, id
    std::map<Key, RecordRow, std::greater<Key>> rows_;
    size_t ts_column_;
    long long keep_;
    size_t width_;
};

// The candidate blocks, newest last_ts first, fetched as the walk needs them.
class Candidates {
public:
    Candidates(Runner &runner, const BlockPredicate &predicate, const RecordFilter &filter)
        : runner_(runner), predicate_(predicate), filter_(filter) {}

    // Makes sure more than `n` are waiting, unless no more exist.
    void want_more_than(long long n) {
        while (!exhausted_ && static_cast<long long>(waiting_.size()) <= n) {
            fetch(step_growth * std::max(n, first_step));
        }
    }
    std::vector<TimeRange> take(long long n) {
        std::vector<TimeRange> out;
        while (n-- > 0 && !waiting_.empty()) {
            out.push_back(waiting_.front());
            waiting_.pop_front();
        }
        return out;
    }
    // The newest last_ts not yet read; nothing when every candidate was.
    std::optional<EpochMicros> newest_unread() const {
        if (waiting_.empty()) {
            return std::nullopt;
        }
        return waiting_.front().last;
    }

private:
    void fetch(long long n) {
        Result r = runner_.run("blocks", candidate_blocks_sql(predicate_, filter_, before_, n));
        std::vector<TimeRange> got = ranges_of(r);
        if (static_cast<long long>(got.size()) < n) {
            exhausted_ = true;
            waiting_.insert(waiting_.end(), got.begin(), got.end());
            return;
        }
        // The LIMIT may have cut through blocks that share the last last_ts:
        // those are read whole on their own, and the next fetch starts below.
        EpochMicros last = got.back().last;
        for (const TimeRange &b : got) {
            if (b.last != last) {
                waiting_.push_back(b);
            }
        }
        std::vector<TimeRange> tied =
            ranges_of(runner_.run("blocks", blocks_ending_at_sql(predicate_, filter_, last)));
        waiting_.insert(waiting_.end(), tied.begin(), tied.end());
        before_ = last;
    }

    Runner &runner_;
    const BlockPredicate &predicate_;
    const RecordFilter &filter_;
    std::deque<TimeRange> waiting_;
    std::optional<EpochMicros> before_;
    bool exhausted_ = false;
};

// Overlapping ranges as one: blocks of several hosts interleave in time, and
// one scan of their union reads each row once.
std::vector<TimeRange> merged(std::vector<TimeRange> ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](const TimeRange &a, const TimeRange &b) { return a.first < b.first; });
    std::vector<TimeRange> out;
    for (const TimeRange &r : ranges) {
        if (!out.empty() && r.first <= out.back().last) {
            out.back().last = std::max(out.back().last, r.last);
        } else {
            out.push_back(r);
        }
    }
    return out;
}

std::vector<RecordRow> walk(Runner &runner, const ColumnSet &set, const RecordFilter &filter,
                            const BlockPredicate &predicate, RangeScan scan, long long offset,
                            long long count) {
    long long wanted = offset + count;
    Found found(set, wanted);
    long long through_id = runner.run("backfill", backfill_through_sql()).get_int(0, 0);
    found.add(runner.run("uncovered", uncovered_rows_sql(set, filter, through_id, wanted)));
    Candidates candidates(runner, predicate, filter);
    for (long long step = first_step;; step *= step_growth) {
        candidates.want_more_than(step);
        std::vector<TimeRange> read = candidates.take(step);
        if (!read.empty()) {
            found.add(
                runner.run("ranges", ranges_rows_sql(set, filter, merged(read), wanted, scan)));
        }
        std::optional<EpochMicros> unread = candidates.newest_unread();
        if (!unread || found.newer_than(*unread) >= wanted) {
            return found.page(offset, count);
        }
    }
}

constexpr const char *has_blocks_fact = "trace.request_blocks exists";
constexpr const char *citus_fact = "a Citus coordinator";

// Asks once per connection what the walk depends on.
bool known_fact(Connection &db, const char *fact) {
    if (db.facts().count(has_blocks_fact) == 0) {
        Result r = db.exec("SELECT to_regclass('trace.request_blocks') IS NOT NULL, "
                           "EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')");
        db.facts()[has_blocks_fact] = r.get(0, 0) == "t";
        db.facts()[citus_fact] = r.get(0, 1) == "t";
    }
    return db.facts()[fact];
}

RangeScan range_scan(Connection &db) {
    return known_fact(db, citus_fact) ? RangeScan::one_for_all : RangeScan::one_per_range;
}

}  // namespace

bool reads_blocks(Connection &db, const ColumnSet &set) {
    return set.table == requests_columns().table && known_fact(db, has_blocks_fact);
}

std::vector<RecordRow> walk_blocks(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, long long offset, long long count,
                                   nlohmann::json *plans) {
    Runner runner(db, plans);
    BlockPredicate predicate = block_predicate(filter);
    if (predicate.empty()) {
        Page plain = page_query(
            [&set](const WhereClause &w, const std::string &l, const std::string &o) {
                return newest_first_query(set, w, l, o);
            },
            filter, count, offset);
        Result r = runner.run("rows", {plain.sql, plain.params});
        std::vector<RecordRow> rows;
        for (int i = 0; i < r.rows(); ++i) {
            rows.push_back(row_at(r, i));
        }
        return rows;
    }
    // One snapshot for every statement: a backfill that commits meanwhile
    // moves through_id and adds blocks together, never one without the other.
    db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
        // The planner takes a Bloom test (get_bit(...) = 1) to pass 0.5% of
        // blocks, four tests a key: it then expects no block to match, and
        // sorts a sequential scan of them all rather than stop early in
        // request_blocks_last_ts_idx. Every statement of the walk means to
        // read an index (blocks newest first, ranges by ts, the uncovered
        // rows by id), so none may scan a whole table.
        db.exec("SET LOCAL enable_seqscan = off");
        db.exec("SET LOCAL enable_bitmapscan = off");
        std::vector<RecordRow> rows =
            walk(runner, set, filter, predicate, range_scan(db), offset, count);
        db.exec("COMMIT");
        return rows;
    } catch (...) {
        try {
            db.exec("ROLLBACK");
        } catch (const PgError &) {
            // The walk's own error says more.
        }
        throw;
    }
}

std::vector<RecordRow> recent_rows(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, EpochMicros committed_since,
                                   long long limit, bool &full) {
    Runner runner(db, nullptr);
    std::map<long long, RecordRow> by_id;  // a row in two ranges' overlap counts once
    auto add = [&](const Result &r) {
        full = full || r.rows() >= limit;
        for (int i = 0; i < r.rows(); ++i) {
            RecordRow row = leading_columns(r, i, set.columns.size());
            long long id = std::stoll(*row[0]);
            by_id.emplace(id, std::move(row));
        }
    };
    full = false;
    Result batches = runner.run("recent batches", recent_batches_sql(committed_since));
    std::vector<std::string> hosts;
    std::vector<std::string> ids;
    for (int i = 0; i < batches.rows(); ++i) {
        hosts.emplace_back(batches.get(i, 0));
        ids.emplace_back(batches.get(i, 1));
    }
    std::vector<TimeRange> ranges;
    if (!ids.empty()) {
        ranges = merged(ranges_of(runner.run("blocks", blocks_of_batches_sql(hosts, ids))));
    }
    if (!ranges.empty()) {
        add(runner.run("ranges", ranges_rows_sql(set, filter, ranges, limit, range_scan(db))));
    }
    long long floor = filter.after_id.value_or(std::numeric_limits<std::int64_t>::min());
    add(runner.run("uncovered", uncovered_rows_sql(set, filter, floor, limit)));
    std::vector<RecordRow> rows;
    for (auto &entry : by_id) {
        rows.push_back(std::move(entry.second));
    }
    return rows;
}

}  // namespace trace_ctl
