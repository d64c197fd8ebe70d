#include "records/record_listing.hpp"

#include "app/pg.hpp"
#include "app/time_text.hpp"
#include "app/usage_error.hpp"
#include "records/follow_cursor.hpp"
#include "records/record_writer.hpp"
#include "trace_core.h"

#include <openssl/crypto.h>

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

std::string read_token_from_stdin() {
    std::string token;
    std::getline(std::cin, token);
    if (!token.empty() && token.back() == '\r') {
        token.pop_back();
    }
    return token;
}

std::string session_hash_of(std::string token, const std::string &key_file) {
    if (key_file.empty()) {
        throw UsageError(
            "--session-token needs the module's session key: set session_key_file "
            "in the configuration or pass --session-key-file");
    }
    if (token == "-") {
        token = read_token_from_stdin();
    }
    unsigned char key[TRACE_SESSION_KEY_MAX];
    char err[512];
    int keylen = trace_session_key_read(key_file.c_str(), key, sizeof(key), err, sizeof(err));
    if (keylen < 0) {
        throw UsageError(std::string("session key ") + err);
    }
    char hash[TRACE_SESSION_HASH_LEN];
    trace_session_hash(key, static_cast<size_t>(keylen),
                       reinterpret_cast<const unsigned char *>(token.data()), token.size(), hash);
    OPENSSL_cleanse(key, sizeof(key));
    return std::string(hash, sizeof(hash));
}

std::size_t text_width(const ListOptions &opts) {
    return output_width(opts.width >= 0 ? std::optional<int>(opts.width) : std::nullopt);
}

RecordRow row_at(const Result &r, int i) {
    RecordRow row;
    for (int c = 0; c < r.columns(); ++c) {
        row.push_back(r.get_optional(i, c));
    }
    return row;
}

// PostgreSQL compiles a regex only when it meets a row; ask it once up front so
// that a bad --path is an error even where no row would be tested.
void check_path_regex(Connection &db, const RecordFilter &filter) {
    if (!filter.path_regex) {
        return;
    }
    try {
        db.exec_params("SELECT '' ~ $1", {*filter.path_regex});
    } catch (const PgError &e) {
        if (e.sqlstate() == "2201B") {
            throw UsageError("--path: " + e.primary());
        }
        throw;
    }
}

std::int64_t newest_id(Connection &db, const RecordSet &set) {
    Result r = db.exec("SELECT max(id) FROM " + set.table);
    return r.is_null(0, 0) ? 0 : r.get_int(0, 0);
}

// Where the pages stand: the newest id and time, read in one statement so
// that they describe the same moment (both from an index).
struct Anchor {
    std::int64_t id = 0;
    std::optional<EpochMicros> ts;
};

Anchor current_anchor(Connection &db, const RecordSet &set) {
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
Anchor anchor_of(Connection &db, const RecordSet &set, const ListOptions &opts,
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

struct Page {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};

Page page_query(const PageQuery &query, const RecordFilter &filter, long long limit,
                long long offset) {
    WhereClause where = build_where(filter);
    int next = static_cast<int>(where.params.size()) + 1;
    Page page;
    page.sql = query(where, "$" + std::to_string(next), "$" + std::to_string(next + 1));
    page.params = std::move(where.params);
    page.params.emplace_back(std::to_string(limit));
    page.params.emplace_back(std::to_string(offset));
    return page;
}

void print_footer(const RecordSet &shown, const ListOptions &opts, size_t rows, bool more,
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

int print_page(Connection &db, const RecordSet &shown, const ListOptions &opts, RecordFilter filter,
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

int follow(const Context &ctx, Connection db, const RecordSet &shown, const ListOptions &opts,
           RecordFilter filter, OutputFormat format) {
    std::int64_t start = newest_id(db, shown);
    filter.max_id = start;
    Page backlog =
        page_query([&](const WhereClause &w, const std::string &l,
                       const std::string &o) { return newest_first_query(shown, w, l, o); },
                   filter, opts.limit, 0);
    Result r = db.exec_params(backlog.sql, backlog.params);
    std::vector<RecordRow> rows;
    for (int i = r.rows() - 1; i >= 0; --i) {  // oldest first, as tail does
        rows.push_back(row_at(r, i));
    }
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

}  // namespace

RecordFilter filter_from_options(const ListOptions &opts, const Config &config) {
    RecordFilter f;
    if (!opts.user.empty()) {
        f.user = opts.user;
    }
    if (!opts.session.empty() && !opts.session_token.empty()) {
        throw UsageError("--session and --session-token exclude each other");
    }
    if (!opts.session.empty()) {
        f.session = parse_session(opts.session);
    }
    if (!opts.session_token.empty()) {
        f.session = session_hash_of(opts.session_token, opts.session_key_file.empty()
                                                            ? config.session_key_file
                                                            : opts.session_key_file);
    }
    if (!opts.status.empty()) {
        f.statuses = parse_status_list(opts.status);
    }
    if (!opts.method.empty()) {
        f.methods = parse_methods(opts.method);
    }
    if (!opts.path.empty()) {
        f.path_regex = opts.path;
    }
    if (!opts.host.empty()) {
        f.host = opts.host;
    }
    if (!opts.client.empty()) {
        f.client = parse_client(opts.client);
    }
    if (!opts.since.empty()) {
        f.since = parse_time_bound(opts.since, "--since");
    }
    if (!opts.until.empty()) {
        f.until = parse_time_bound(opts.until, "--until");
    }
    if (!opts.max_time.empty()) {
        f.max_ts = parse_time(opts.max_time);
        if (!f.max_ts) {
            throw UsageError("--max-time: \"" + opts.max_time +
                             "\" is not a time (as the footer of a page prints it)");
        }
    }
    if (opts.follow &&
        (opts.page != 1 || opts.max_id != 0 || !opts.until.empty() || !opts.max_time.empty())) {
        throw UsageError(
            "--follow shows what comes next: it cannot be combined with --page, "
            "--max-id, --max-time or --until");
    }
    if (opts.follow && opts.explain) {
        throw UsageError("--explain shows the plan of one page, not of --follow");
    }
    return f;
}

std::string newest_first_query(const RecordSet &set, const WhereClause &where,
                               const std::string &limit, const std::string &offset) {
    return "SELECT " + set.select_list() + " FROM " + set.table + " " + where.sql +
           " ORDER BY ts DESC, id DESC LIMIT " + limit + " OFFSET " + offset;
}

int list_records(const Context &ctx, const RecordSet &shown, const ListOptions &opts,
                 RecordFilter filter, const PageQuery &query) {
    OutputFormat format = parse_output_format(opts.format);
    Connection db = Connection::open(ctx.conninfo());
    try {
        check_path_regex(db, filter);
        if (opts.follow) {
            return follow(ctx, db, shown, opts, std::move(filter), format);
        }
        return print_page(db, shown, opts, std::move(filter), query, format);
    } catch (const PgError &e) {
        explain_failure(e);
    }
}

}  // namespace trace_ctl
