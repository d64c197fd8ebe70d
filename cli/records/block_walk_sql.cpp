#include "records/block_walk_sql.hpp"

#include "block_summary.hpp"

#include <cstdint>
#include <limits>

namespace trace_ctl {

namespace {

// Appends values and names their placeholders, from $1.
class Params {
public:
    explicit Params(std::vector<std::optional<std::string>> first = {})
        : values_(std::move(first)) {}
    std::string add(std::string value) {
        values_.emplace_back(std::move(value));
        return "$" + std::to_string(values_.size());
    }
    std::vector<std::optional<std::string>> take() { return std::move(values_); }

private:
    std::vector<std::optional<std::string>> values_;
};

const char *column_name(BloomColumn column) {
    return column == BloomColumn::keys ? "keys" : "grams";
}

// What the filter's time bounds say of a block: it may hold a row of
// [since, until) and <= max_ts only if its range meets them.
std::string block_time_sql(const RecordFilter &filter, Params &p) {
    std::string sql;
    auto bound = [&p](const TimeBound &b) {
        if (b.seconds_ago) {
            return "now() - " + p.add(std::to_string(*b.seconds_ago) + " seconds") + "::interval";
        }
        return p.add(format_utc_time(*b.at)) + "::timestamptz";
    };
    if (filter.since && (filter.since->seconds_ago || filter.since->at)) {
        sql += " AND last_ts >= " + bound(*filter.since);
    }
    if (filter.until && (filter.until->seconds_ago || filter.until->at)) {
        sql += " AND first_ts < " + bound(*filter.until);
    }
    if (filter.max_ts) {
        sql += " AND first_ts <= " + p.add(format_utc_time(*filter.max_ts)) + "::timestamptz";
    }
    return sql;
}

std::string block_where_sql(const BlockPredicate &predicate, const RecordFilter &filter,
                            Params &p) {
    std::string sql = "WHERE true";
    for (const std::vector<BloomKey> &any : predicate.all) {
        std::string alternatives;
        for (const BloomKey &k : any) {
            trace::BloomProbe probe = trace::bloom_probe(k.key);
            std::string h1 = p.add(std::to_string(probe.h1));
            std::string h2 = p.add(std::to_string(probe.h2));
            alternatives += (alternatives.empty() ? "" : " OR ") + bloom_test_sql(k.column, h1, h2);
        }
        sql += " AND (" + alternatives + ")";
    }
    return sql + block_time_sql(filter, p);
}

// A block of rows the module could not read reaches from -infinity to
// infinity (block_summary.hpp): those are the smallest and largest int64,
// which utc_timestamp_text writes back as they were.
std::string block_micros_sql(const std::string &column) {
    // In parentheses: :: binds before the minus, and 9223372036854775808 is no bigint.
    return "CASE WHEN " + column + " = '-infinity' THEN (" +
           std::to_string(std::numeric_limits<std::int64_t>::min()) + ")::bigint WHEN " + column +
           " = 'infinity' THEN " + std::to_string(std::numeric_limits<std::int64_t>::max()) +
           " ELSE " + epoch_micros_sql(column) + " END";
}

std::string block_ts(EpochMicros t) {
    return trace::utc_timestamp_text(t);
}

std::string blocks_select() {
    return "SELECT " + block_micros_sql("first_ts") + ", " + block_micros_sql("last_ts") +
           " FROM trace.request_blocks ";
}

// build_where's conditions after an AND, or nothing.
std::string and_row_condition(const WhereClause &where) {
    const std::string prefix = "WHERE ";
    return where.sql.empty() ? "" : " AND (" + where.sql.substr(prefix.size()) + ")";
}

std::string timestamps_array(const std::vector<TimeRange> &ranges, bool first) {
    std::vector<std::string> items;
    for (const TimeRange &r : ranges) {
        items.push_back(block_ts(first ? r.first : r.last));
    }
    return pg_array_literal(items);
}

}  // namespace

std::string bloom_test_sql(BloomColumn column, const std::string &h1, const std::string &h2) {
    std::string c = column_name(column);
    std::string sql;
    for (int i = 0; i < trace::TRACE_BLOOM_PROBES; ++i) {
        std::string position = h1 + "::bigint" +
                               (i == 0 ? "" : " + " + std::to_string(i) + " * " + h2 + "::bigint");
        sql += (i == 0 ? "" : " AND ") + std::string("get_bit(") + c + ", ((" + position +
               ") % (octet_length(" + c + ") * 8))::integer) = 1";
    }
    return "(" + sql + ")";
}

Statement candidate_blocks_sql(const BlockPredicate &predicate, const RecordFilter &filter,
                               std::optional<EpochMicros> before, long long limit) {
    Params p;
    Statement s;
    s.sql = blocks_select() + block_where_sql(predicate, filter, p);
    if (before) {
        s.sql += " AND last_ts < " + p.add(block_ts(*before)) + "::timestamptz";
    }
    s.sql += " ORDER BY last_ts DESC LIMIT " + p.add(std::to_string(limit));
    s.params = p.take();
    return s;
}

Statement blocks_ending_at_sql(const BlockPredicate &predicate, const RecordFilter &filter,
                               EpochMicros last) {
    Params p;
    Statement s;
    s.sql = blocks_select() + block_where_sql(predicate, filter, p) +
            " AND last_ts = " + p.add(block_ts(last)) + "::timestamptz";
    s.params = p.take();
    return s;
}

Statement recent_batches_sql(EpochMicros since) {
    Params p;
    Statement s;
    s.sql = "SELECT host, batch_id FROM trace.batches WHERE committed_at >= " +
            p.add(block_ts(since)) + "::timestamptz";
    s.params = p.take();
    return s;
}

Statement blocks_of_batches_sql(const std::vector<std::string> &hosts,
                                const std::vector<std::string> &batch_ids) {
    Params p;
    Statement s;
    // Any of the hosts and any of the ids: the primary key's two first
    // columns, no join. A block of another host's batch of the same id (ids
    // are an nginx instance's own) would only widen the ranges read.
    s.sql = blocks_select() + "WHERE host = ANY (" + p.add(pg_array_literal(hosts)) +
            "::text[]) AND batch_id = ANY (" + p.add(pg_array_literal(batch_ids)) + "::text[])";
    s.params = p.take();
    return s;
}

Statement ranges_rows_sql(const ColumnSet &set, const RecordFilter &filter,
                          const std::vector<TimeRange> &ranges, long long limit,
                          RangeScan scan) {
    WhereClause where = build_where(filter);
    std::string rows = and_row_condition(where);
    Params p(std::move(where.params));
    if (scan == RangeScan::one_for_all) {
        std::string any;
        for (const TimeRange &r : ranges) {
            std::string first = p.add(block_ts(r.first));
            std::string last = p.add(block_ts(r.last));
            any += (any.empty() ? "" : " OR ") + std::string("ts BETWEEN ") + first +
                   "::timestamptz AND " + last + "::timestamptz";
        }
        Statement s;
        s.sql = "SELECT " + set.select_list() + " FROM " + set.table + " WHERE (" + any + ")" +
                rows + " ORDER BY ts DESC, id DESC LIMIT " + p.add(std::to_string(limit));
        s.params = p.take();
        return s;
    }
    std::string firsts = p.add(timestamps_array(ranges, true));
    std::string lasts = p.add(timestamps_array(ranges, false));
    std::string n = p.add(std::to_string(limit));
    Statement s;
    // One LATERAL scan a range: a single OR of the ranges gets a backward
    // scan of everything from the newest on (bench/ingest.pl, ranges_query).
    s.sql = "SELECT x.* FROM unnest(" + firsts + "::timestamptz[], " + lasts +
            "::timestamptz[]) AS r(first_ts, last_ts) CROSS JOIN LATERAL (SELECT " +
            set.select_list() + ", ts AS walk_ts, id AS walk_id FROM " + set.table +
            " WHERE ts BETWEEN r.first_ts AND r.last_ts" + rows +
            " ORDER BY ts DESC, id DESC LIMIT " + n + ") x ORDER BY x.walk_ts DESC, " +
            "x.walk_id DESC LIMIT " + n;
    s.params = p.take();
    return s;
}

Statement backfill_through_sql() {
    // By its key, not a scan: the table has one row (or none).
    return {"SELECT coalesce((SELECT through_id FROM trace.request_blocks_backfill "
            "WHERE one = true), 0)",
            {}};
}

Statement uncovered_rows_sql(const ColumnSet &set, const RecordFilter &filter,
                             long long through_id, long long limit) {
    WhereClause where = build_where(filter);
    std::string rows = and_row_condition(where);
    Params p(std::move(where.params));
    Statement s;
    s.sql = "SELECT " + set.select_list() + " FROM " + set.table +
            " WHERE NOT summarised AND id > " + p.add(std::to_string(through_id)) + "::bigint" +
            rows + " ORDER BY ts DESC, id DESC LIMIT " + p.add(std::to_string(limit));
    s.params = p.take();
    return s;
}

}  // namespace trace_ctl
