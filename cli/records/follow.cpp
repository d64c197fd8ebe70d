#include "records/follow.hpp"

#include "app/newest_id.hpp"
#include "records/anchored_page.hpp"
#include "records/block_walk.hpp"
#include "records/follow_cursor.hpp"
#include "records/output/writer.hpp"
#include "records/page_query.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

namespace trace_ctl {

namespace {

// How late a transaction may commit after a newer id became visible and still
// be printed by --follow (see follow_cursor.hpp); nginx's batches commit in
// milliseconds.
constexpr double follow_grace_seconds = 5;
constexpr int follow_batch_rows = 1000;

// The database's clock and then the newest id given out (app/newest_id.hpp):
// every id above it is given out after that time.
struct Newest {
    std::int64_t id = 0;
    double time = 0;
};

Newest newest(Connection &db, const ColumnSet &set) {
    Newest n;
    n.time = std::stod(
        std::string(db.exec("SELECT extract(epoch FROM clock_timestamp())::float8").get(0, 0)));
    n.id = newest_id(db, set.table).value_or(0);
    return n;
}

// The rows of one poll, in id order. trace.requests has no index on id: its
// new rows are those of the batches committed since the floor's time (less
// the grace: a batch's transaction starts before it takes its ids), found
// through their blocks, and those no block covers.
std::vector<RecordRow> poll(Connection &db, const ColumnSet &set, const RecordFilter &filter,
                            const FollowCursor &cursor, bool &full) {
    if (reads_blocks(db, set)) {
        auto since = static_cast<EpochMicros>((cursor.floor_time() - follow_grace_seconds) * 1e6);
        return recent_rows(db, set, filter, since, follow_batch_rows, full);
    }
    WhereClause where = build_where(filter);
    where.params.emplace_back(std::to_string(follow_batch_rows));
    Result fresh = db.exec_params("SELECT " + set.select_list() + " FROM " + set.table + " " +
                                      where.sql + " ORDER BY id LIMIT $" +
                                      std::to_string(where.params.size()),
                                  where.params);
    std::vector<RecordRow> rows;
    for (int i = 0; i < fresh.rows(); ++i) {
        rows.push_back(row_at(fresh, i));
    }
    full = fresh.rows() == follow_batch_rows;
    return rows;
}

bool connection_lost(const Connection &db) {
    return PQstatus(db.raw()) == CONNECTION_BAD;
}

// Reopens the connection after it broke while following, trying once per
// interval; says so on stderr, once when it breaks and once when it is back.
Connection reconnect(const Context &ctx, const std::string &command, const PgError &cause,
                     double interval_seconds) {
    std::cerr << "trace-ctl " << command << ": lost the database connection (" << cause.what()
              << "); retrying every " << interval_seconds << " s\n";
    for (;;) {
        std::this_thread::sleep_for(std::chrono::duration<double>(interval_seconds));
        try {
            Connection db = Connection::open(ctx.conninfo());
            std::cerr << "trace-ctl " << command << ": connected again\n";
            return db;
        } catch (const PgError &) {
        }
    }
}

}  // namespace

int follow_records(const Context &ctx, Connection db, const ColumnSet &shown,
                   const ListOptions &opts, RecordFilter filter, OutputFormat format) {
    Newest start = newest(db, shown);
    filter.max_id = start.id;
    std::vector<RecordRow> rows = listed_rows(
        db, shown, filter,
        [&](const WhereClause &w, const std::string &l, const std::string &o) {
            return newest_first_query(shown, w, l, o);
        },
        0, opts.limit);
    std::reverse(rows.begin(), rows.end());  // oldest first, as tail does
    auto writer = make_record_writer(format, shown, std::cout, true, text_width(opts));
    writer->begin(rows);
    std::cout.flush();

    filter.max_id.reset();
    FollowCursor cursor(start.id, start.time, follow_grace_seconds);
    bool full_batch = false;
    for (;;) {
        if (!full_batch) {
            std::this_thread::sleep_for(std::chrono::duration<double>(opts.interval_seconds));
        }
        try {
            Newest now = newest(db, shown);
            filter.after_id = cursor.floor();
            filter.exclude_ids = cursor.printed_ids();
            for (const RecordRow &row : poll(db, shown, filter, cursor, full_batch)) {
                if (cursor.take(std::stoll(*row[0]))) {
                    writer->write(row);
                }
            }
            cursor.polled(now.time, now.id);
        } catch (const PgError &e) {
            if (!connection_lost(db)) {
                throw;
            }
            db = reconnect(ctx, shown.command, e, opts.interval_seconds);
        }
        std::cout.flush();
        if (!std::cout) {
            return exit_ok;  // the reader went away (head, a closed pipe)
        }
    }
}

}  // namespace trace_ctl
