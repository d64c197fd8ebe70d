// What `requests` and `audit` share: options turned into a filter, a page of
// records newest first, and --follow.

#ifndef TRACE_CTL_RECORDS_RECORD_LISTING_HPP
#define TRACE_CTL_RECORDS_RECORD_LISTING_HPP

#include "app/context.hpp"
#include "records/filters.hpp"
#include "records/record_sets.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace trace_ctl {

// The options as the command line gave them; empty strings are unset.
struct ListOptions {
    std::string user;
    std::string session;
    std::string session_token;  // "-": read it from stdin
    std::string session_key_file;  // default: session_key_file of the config
    std::string status;
    std::string method;
    std::string path;
    std::string host;
    std::string client;
    std::string since;
    std::string until;
    int limit = 50;
    int page = 1;
    std::int64_t max_id = 0;  // 0: the newest id when the command starts
    std::string max_time;  // with max_id: the newest time at that moment
    bool follow = false;
    double interval_seconds = 1.0;
    std::string format = "text";
    int width = -1;  // -1: the terminal's (see output_width)
    bool explain = false;
};

// Checks and parses every option (and hashes --session-token with the module's
// key). Throws UsageError.
RecordFilter filter_from_options(const ListOptions &opts, const Config &config);

// Builds the query of one page from its WHERE clause; the clause's parameters
// are followed by two more, $limit and $offset, named in the arguments.
using PageQuery = std::function<std::string(const WhereClause &where, const std::string &limit,
                                            const std::string &offset)>;

// The query of a page of `set`: newest first (by ts, then id).
std::string newest_first_query(const RecordSet &set, const WhereClause &where,
                               const std::string &limit, const std::string &offset);

// Prints one page (or, with --follow, the newest rows and then every new one).
// Pages are anchored so that rows arriving meanwhile do not shift them: a page
// holds only rows with id <= --max-id and ts <= --max-time, by default the
// newest id and time when the command starts, which the text footer names for
// the next page. The id makes the anchor exact (a row inserted later has a
// higher id, whatever its time); the time lets the index skip what came later.
int list_records(const Context &ctx, const RecordSet &shown, const ListOptions &opts,
                 RecordFilter filter, const PageQuery &query);

}  // namespace trace_ctl

#endif
