// What the overview shows, read from the window's rows with plain SELECTs, or
// from trace-ctl rollup's summaries where they are current
// (console/overview_rollup.hpp) and the rows for the rest; the same figures
// either way. From the rows, each bucket is one ts range read on its own (a
// LATERAL over the buckets), so the percentiles sort a bucket's rows, never
// the window's; the top lists of paths, error paths, users, clients and user
// agents come from one pass (GROUPING SETS). Four panels either way (request
// charts, top lists, slowest paths or the users and clients, audit charts)
// side by side on connections that share one read-only snapshot
// (console/snapshot_reads.hpp), so that the panels agree.

#ifndef TRACE_CTL_CONSOLE_OVERVIEW_DATA_HPP
#define TRACE_CTL_CONSOLE_OVERVIEW_DATA_HPP

#include "app/pg.hpp"
#include "console/database.hpp"
#include "console/overview_window.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trace_ctl {

// The status classes as the lists' `status` takes them, and the audit actions.
inline constexpr const char *status_class_names[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
inline constexpr const char *audit_action_names[] = {"login", "logout", "login_failed"};

struct Bucket {
    double classes[5] = {0, 0, 0, 0, 0};  // requests per status class
    double latency[3] = {-1, -1, -1};  // p50, p95, p99 in seconds; -1: no request
    double bytes = 0;
    double actions[3] = {0, 0, 0};  // audit events per action
};

// A value of a top list as stored (escaped or not) and its figure (a count,
// or a p95 in seconds).
struct TopRow {
    std::string stored;
    bool escaped = false;
    double figure = 0;
};

struct Tops {
    std::vector<TopRow> paths;
    std::vector<TopRow> error_paths;  // 4xx and 5xx
    std::vector<TopRow> slowest_paths;  // by p95
    std::vector<TopRow> users;
    std::vector<TopRow> clients;
    std::vector<TopRow> agents;
};

struct OverviewData {
    std::map<std::int64_t, Bucket> buckets;  // every bucket of the window, empty ones too
    Tops tops;
};

OverviewData read_overview(ConnectionPool &pool, Connection &db, const Window &w);

}  // namespace trace_ctl

#endif
