#include "records/listing.hpp"

#include "app/output_format.hpp"
#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "app/usage_error.hpp"
#include "records/follow.hpp"
#include "records/output/writer.hpp"

#include <algorithm>
#include <iostream>

namespace trace_ctl {

namespace {

// PostgreSQL compiles a regex only when it meets a row; ask it once up front so
// that a bad --path or --referer is an error even where no row would be tested.
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

void check_regexes(Connection &db, const RecordFilter &filter) {
    check_regex(db, filter.path_regex, "--path");
    check_regex(db, filter.referer_regex, "--referer");
}

// Where the pages stand: the newest id and time, read in one statement so
// that they describe the same moment (both from an index).
struct Anchor {
    std::int64_t id = 0;
    std::optional<EpochMicros> ts;
};

Anchor current_anchor(Connection &db, const ColumnSet &set) {
    Result r = db.exec("SELECT max(id), " + epoch_micros_sql("max(ts)") + " FROM " + set.table);
    Anchor a;
    if (!r.is_null(0, 0)) {
        a.id = r.get_int(0, 0);
        a.ts = r.get_int(0, 1);
    }
    return a;
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

// The two failures people meet first get a hint at what to do.
[[noreturn]] void explain_failure(const PgError &e) {
    if (e.sqlstate() == "42P01") {
        throw PgError(e.primary() + " (is the schema there? trace-ctl migrate creates it)",
                      e.sqlstate());
    }
    if (e.sqlstate() == "42501") {
        throw PgError(e.primary() + " (the role needs trace_reader)", e.sqlstate());
    }
    throw e;
}

void print_footer(const ColumnSet &shown, const ListOptions &opts, size_t rows, bool more,
                  const Anchor &anchor) {
    if (rows == 0) {
        std::cout << (opts.page == 1 ? "no " + shown.noun + " match"
                                     : "page " + std::to_string(opts.page) + " is empty")
                  << '\n';
        return;
    }
    long long first = static_cast<long long>(opts.page - 1) * opts.limit + 1;
    std::cout << shown.noun << ' ' << first << '-' << first + static_cast<long long>(rows) - 1
              << " (page " << opts.page << ", newest first)";
    if (more) {
        std::cout << "; next: --page " << opts.page + 1 << " --max-id " << anchor.id;
        if (anchor.ts) {
            std::cout << " --max-time " << format_utc_time(*anchor.ts);
        }
    } else {
        std::cout << "; no more";
    }
    std::cout << '\n';
}

int print_page(Connection &db, const ColumnSet &shown, const ListOptions &opts, RecordFilter filter,
               const PageQuery &query, OutputFormat format) {
    Anchor anchor = anchor_of(db, shown, opts, filter);
    filter.max_id = anchor.id;
    filter.max_ts = anchor.ts;
    long long offset = static_cast<long long>(opts.page - 1) * opts.limit;
    // One row more than shown tells whether there is a next page.
    Page page = page_query(query, filter, opts.limit + 1LL, offset);
    if (opts.explain) {
        Result plan =
            db.exec_params("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + page.sql, page.params);
        std::cout << plan.get(0, 0) << '\n';
        return exit_ok;
    }
    Result r = db.exec_params(page.sql, page.params);
    bool more = r.rows() > opts.limit;
    std::vector<RecordRow> rows;
    for (int i = 0; i < std::min(r.rows(), opts.limit); ++i) {
        rows.push_back(row_at(r, i));
    }
    // People get "no requests match" rather than a lonely header; programs get
    // their empty array or header line.
    if (!(rows.empty() && format == OutputFormat::text)) {
        auto writer = make_record_writer(format, shown, std::cout, false, text_width(opts));
        writer->begin(rows);
        writer->finish();
    }
    if (format == OutputFormat::text) {
        print_footer(shown, opts, rows.size(), more, anchor);
    }
    std::cout.flush();
    return exit_ok;
}

}  // namespace

int list_records(const Context &ctx, const ColumnSet &shown, const ListOptions &opts,
                 RecordFilter filter, const PageQuery &query) {
    OutputFormat format = parse_output_format(opts.format);
    Connection db = Connection::open(ctx.conninfo());
    try {
        check_regexes(db, filter);
        if (opts.follow) {
            return follow_records(ctx, db, shown, opts, std::move(filter), format);
        }
        return print_page(db, shown, opts, std::move(filter), query, format);
    } catch (const PgError &e) {
        explain_failure(e);
    }
}

}  // namespace trace_ctl
