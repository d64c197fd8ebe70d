#include "schema/block_backfill.hpp"

#include "app/time_text.hpp"
#include "block_summary.hpp"
#include "common/hex.hpp"

#include <chrono>
#include <cstdio>
#include <ostream>

namespace trace_ctl {

namespace {

// Rows fetched at a time: whole blocks, so that every block but the last is
// full and the builder never holds more than one fetch.
constexpr long long fetch_rows = 256 * 40;
// Blocks an INSERT carries.
constexpr size_t insert_blocks = 40;
constexpr const char *backfill_host = "trace-ctl";

std::optional<std::string_view> value(const Result &r, int row, int col) {
    if (r.is_null(row, col)) {
        return std::nullopt;
    }
    return r.get(row, col);
}

class BlockWriter {
public:
    BlockWriter(Connection &db, std::string batch_id) : db_(db), batch_id_(std::move(batch_id)) {}

    void write(const std::vector<trace::BlockSummary> &blocks) {
        for (size_t start = 0; start < blocks.size(); start += insert_blocks) {
            std::string sql =
                "INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, "
                "row_count, keys, grams) VALUES ";
            std::vector<std::optional<std::string>> params;
            for (size_t i = start; i < std::min(blocks.size(), start + insert_blocks); ++i) {
                const trace::BlockSummary &b = blocks[i];
                int n = static_cast<int>(params.size());
                auto p = [n](int k) { return "$" + std::to_string(n + k); };
                sql += std::string(i == start ? "" : ", ") + "(" + p(1) + ", " + p(2) + ", " +
                       p(3) + "::integer, " + p(4) + "::timestamptz, " + p(5) +
                       "::timestamptz, " + p(6) + "::integer, " + p(7) + "::bytea, " + p(8) +
                       "::bytea)";
                params.insert(params.end(),
                              {backfill_host, batch_id_, std::to_string(next_block_++),
                               trace::utc_timestamp_text(b.first_ts_us),
                               trace::utc_timestamp_text(b.last_ts_us),
                               std::to_string(b.row_count), trace::bytea_hex_text(b.keys),
                               trace::bytea_hex_text(b.grams)});
            }
            db_.exec_params(sql, params);
        }
        written_ += static_cast<long long>(blocks.size());
    }
    long long written() const { return written_; }

private:
    Connection &db_;
    std::string batch_id_;
    long long next_block_ = 0;
    long long written_ = 0;
};

BackfillResult backfill_locked(Connection &db, BackfillResult r) {
    long long from = db.exec("SELECT coalesce(max(through_id), 0) FROM "
                             "trace.request_blocks_backfill")
                         .get_int(0, 0);
    std::string uncovered = "FROM trace.requests WHERE NOT summarised AND id > " +
                            std::to_string(from);
    Result last = db.exec("SELECT max(id) " + uncovered);
    r.through_id = from;
    if (last.is_null(0, 0)) {
        return r;
    }
    long long through = last.get_int(0, 0);
    BlockWriter writer(db, "backfill-" + std::to_string(from) + "-" + std::to_string(through));
    // In time order, as the module's blocks are: a block's range is then
    // narrow, and a listing reads little of the table for it. Values in their
    // output form, as a listing's filter names them: client_addr::text would
    // say 10.1.2.3/32.
    db.exec("DECLARE backfill_rows NO SCROLL CURSOR FOR SELECT " + epoch_micros_sql("ts") +
            ", host, method, path, user_name, session, client_addr, status " + uncovered +
            " ORDER BY ts, id");
    trace::BlockBuilder builder;
    for (;;) {
        Result rows = db.exec("FETCH " + std::to_string(fetch_rows) + " FROM backfill_rows");
        for (int i = 0; i < rows.rows(); ++i) {
            trace::BlockRow row;
            row.ts_us = rows.get_int(i, 0);
            row.host = value(rows, i, 1);
            row.method = value(rows, i, 2);
            row.path = value(rows, i, 3);
            row.user = value(rows, i, 4);
            row.session = value(rows, i, 5);
            row.client = value(rows, i, 6);
            if (!rows.is_null(i, 7)) {
                row.status = static_cast<int>(rows.get_int(i, 7));
            }
            builder.add(row);
        }
        writer.write(builder.finish());
        r.rows += rows.rows();
        if (rows.rows() < fetch_rows) {
            break;
        }
    }
    db.exec("CLOSE backfill_rows");
    // now() in the VALUES, not in DO UPDATE: Citus (a reference table there)
    // takes only immutable functions in DO UPDATE.
    db.exec_params("INSERT INTO trace.request_blocks_backfill (through_id, done_at) "
                   "VALUES ($1::bigint, now()) ON CONFLICT (one) DO UPDATE SET "
                   "through_id = EXCLUDED.through_id, done_at = EXCLUDED.done_at",
                   {std::to_string(through)});
    r.blocks = writer.written();
    r.through_id = through;
    return r;
}

}  // namespace

BackfillResult backfill_request_blocks(Connection &db) {
    BackfillResult r;
    r.has_blocks =
        db.exec("SELECT to_regclass('trace.request_blocks') IS NOT NULL").get(0, 0) == "t";
    if (!r.has_blocks) {
        return r;
    }
    db.exec("BEGIN");
    try {
        db.exec("LOCK TABLE trace.requests IN SHARE MODE");
        auto locked = std::chrono::steady_clock::now();
        r = backfill_locked(db, r);
        db.exec("COMMIT");
        r.locked_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - locked).count();
    } catch (const PgError &e) {
        db.exec("ROLLBACK");
        throw PgError("writing block summaries failed and was rolled back: " +
                          std::string(e.what()),
                      e.sqlstate());
    }
    return r;
}

void report_backfill(const BackfillResult &r, std::ostream &out) {
    if (!r.has_blocks) {
        return;
    }
    if (r.rows == 0) {
        out << "every row of trace.requests has a block summary; no blocks to write\n";
        return;
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", r.locked_seconds);
    out << "summarised " << r.rows << " rows in " << r.blocks << " blocks, " << seconds
        << " s (trace.requests locked for writes meanwhile; through id " << r.through_id
        << ")\n";
}

}  // namespace trace_ctl
