#include "records/listing.hpp"

#include "app/output_format.hpp"
#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "records/anchored_page.hpp"
#include "records/block_walk.hpp"
#include "records/follow.hpp"
#include "records/output/writer.hpp"

#include <iostream>

namespace trace_ctl {

namespace {

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
    if (opts.explain && reads_blocks(db, shown)) {
        // The walk runs several statements: their plans, in the order run.
        nlohmann::json plans = nlohmann::json::array();
        Anchor anchor = anchor_of(db, shown, opts, filter);
        walk_blocks(db, shown, anchored_filter(filter, anchor), page_offset(opts),
                    opts.limit + 1LL, &plans);
        std::cout << plans.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        return exit_ok;
    }
    if (opts.explain) {
        Page page = anchored_page(opts, filter, query, anchor_of(db, shown, opts, filter), 1);
        Result plan =
            db.exec_params("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + page.sql, page.params);
        std::cout << plan.get(0, 0) << '\n';
        return exit_ok;
    }
    PageRows page = read_page(db, shown, opts, filter, query);
    const std::vector<RecordRow> &rows = page.rows;
    // People get "no requests match" rather than a lonely header; programs get
    // their empty array or header line.
    if (!(rows.empty() && format == OutputFormat::text)) {
        auto writer = make_record_writer(format, shown, std::cout, false, text_width(opts));
        writer->begin(rows);
        writer->finish();
    }
    if (format == OutputFormat::text) {
        print_footer(shown, opts, rows.size(), page.more, page.anchor);
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
