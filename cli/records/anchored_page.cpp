#include "records/anchored_page.hpp"

#include "app/newest_id.hpp"
#include "app/usage_error.hpp"
#include "records/block_walk.hpp"

#include <algorithm>

namespace trace_ctl {

namespace {

void check_regex(Connection &db, const std::optional<std::string> &regex,
                 const std::string &option) {
    if (!regex) {
        return;
    }
    try {
        db.exec_params("SELECT '' ~ $1", {*regex});
    } catch (const PgError &e) {
        if (e.sqlstate() == "2201B") {
            throw UsageError(option + ": " + e.primary());
        }
        throw;
    }
}

// The newest time (requests_ts_idx) and then the newest id given out: every
// row visible when the time was read has an id at or below it.
Anchor current_anchor(Connection &db, const ColumnSet &set) {
    Result r = db.exec("SELECT " + epoch_micros_sql("max(ts)") + " FROM " + set.table);
    Anchor a;
    if (!r.is_null(0, 0)) {
        a.ts = r.get_int(0, 0);
        a.id = newest_id(db, set.table).value_or(0);
    }
    return a;
}

}  // namespace

void check_regexes(Connection &db, const RecordFilter &filter) {
    check_regex(db, filter.path_regex, "--path");
    check_regex(db, filter.referer_regex, "--referer");
    check_regex(db, filter.user_agent_regex, "--user-agent");
}

// The anchor given (by the footer of an earlier page), else the current one; a
// --max-time given alone only narrows it.
Anchor anchor_of(Connection &db, const ColumnSet &set, const ListOptions &opts,
                 const RecordFilter &filter) {
    Anchor a = opts.max_id == 0 ? current_anchor(db, set) : Anchor{opts.max_id, std::nullopt};
    if (filter.max_ts && (!a.ts || *filter.max_ts < *a.ts)) {
        a.ts = filter.max_ts;
    }
    return a;
}

RecordFilter anchored_filter(RecordFilter filter, const Anchor &anchor) {
    filter.max_id = anchor.id;
    filter.max_ts = anchor.ts;
    return filter;
}

long long page_offset(const ListOptions &opts) {
    return static_cast<long long>(opts.page - 1) * opts.limit;
}

Page anchored_page(const ListOptions &opts, RecordFilter filter, const PageQuery &query,
                   const Anchor &anchor, int extra_rows) {
    return page_query(query, anchored_filter(std::move(filter), anchor),
                      opts.limit + static_cast<long long>(extra_rows), page_offset(opts));
}

std::vector<RecordRow> listed_rows(Connection &db, const ColumnSet &set,
                                   const RecordFilter &filter, const PageQuery &query,
                                   long long offset, long long count) {
    if (reads_blocks(db, set)) {
        return walk_blocks(db, set, filter, offset, count);
    }
    Page statement = page_query(query, filter, count, offset);
    Result r = db.exec_params(statement.sql, statement.params);
    std::vector<RecordRow> rows;
    for (int i = 0; i < r.rows(); ++i) {
        rows.push_back(row_at(r, i));
    }
    return rows;
}

PageRows read_page(Connection &db, const ColumnSet &set, const ListOptions &opts,
                   const RecordFilter &filter, const PageQuery &query) {
    PageRows page;
    page.anchor = anchor_of(db, set, opts, filter);
    // One row more than shown tells whether there is a next page.
    std::vector<RecordRow> rows = listed_rows(db, set, anchored_filter(filter, page.anchor),
                                              query, page_offset(opts), opts.limit + 1LL);
    page.more = static_cast<long long>(rows.size()) > opts.limit;
    rows.resize(std::min<size_t>(rows.size(), static_cast<size_t>(opts.limit)));
    page.rows = std::move(rows);
    return page;
}

void explain_failure(const PgError &e) {
    if (e.sqlstate() == "42P01") {
        throw PgError(e.primary() + " (is the schema there? trace-ctl migrate creates it)",
                      e.sqlstate());
    }
    if (e.sqlstate() == "42501") {
        throw PgError(e.primary() + " (the role needs trace_reader)", e.sqlstate());
    }
    throw e;
}

}  // namespace trace_ctl
