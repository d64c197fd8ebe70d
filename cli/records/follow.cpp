#include "records/follow.hpp"

#include "records/anchored_page.hpp"
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

std::int64_t newest_id(Connection &db, const ColumnSet &set) {
    Result r = db.exec("SELECT max(id) FROM " + set.table);
    return r.is_null(0, 0) ? 0 : r.get_int(0, 0);
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

double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

int follow_records(const Context &ctx, Connection db, const ColumnSet &shown,
                   const ListOptions &opts, RecordFilter filter, OutputFormat format) {
    std::int64_t start = newest_id(db, shown);
    filter.max_id = start;
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
    FollowCursor cursor(start, follow_grace_seconds);
    bool full_batch = false;
    for (;;) {
        if (!full_batch) {
            std::this_thread::sleep_for(std::chrono::duration<double>(opts.interval_seconds));
        }
        try {
            std::int64_t newest = newest_id(db, shown);
            filter.after_id = cursor.floor();
            filter.exclude_ids = cursor.printed_ids();
            WhereClause where = build_where(filter);
            where.params.emplace_back(std::to_string(follow_batch_rows));
            Result fresh = db.exec_params("SELECT " + shown.select_list() + " FROM " + shown.table +
                                              " " + where.sql + " ORDER BY id LIMIT $" +
                                              std::to_string(where.params.size()),
                                          where.params);
            for (int i = 0; i < fresh.rows(); ++i) {
                if (cursor.take(fresh.get_int(i, 0))) {
                    writer->write(row_at(fresh, i));
                }
            }
            full_batch = fresh.rows() == follow_batch_rows;
            cursor.polled(seconds_now(), newest);
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
