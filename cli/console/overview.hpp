// /: an overview of a window of time (?since=24h by default, until, host):
// requests over time stacked by status class, latency p50/p95/p99, logins,
// logouts and failed logins, bytes sent, and the top paths, error paths,
// slowest paths, users, clients and user agents. Plain SELECTs over the
// window's ts range, with trace-ctl's filters (records/filters.hpp) for the
// window and host; every bar, point and row links to the list it summarises.

#ifndef TRACE_CTL_CONSOLE_OVERVIEW_HPP
#define TRACE_CTL_CONSOLE_OVERVIEW_HPP

#include "app/config.hpp"
#include "app/pg.hpp"
#include "console/database.hpp"
#include "console/layout.hpp"
#include "console/request_params.hpp"

#include <string>

namespace trace_ctl {

struct OverviewQuery {
    std::string since = "24h";
    std::string until;
    std::string host;
};

// Throws BadRequest.
OverviewQuery overview_query(const ParamMap &params);

// Throws UsageError for a bad since or until. The panels read side by side,
// on `db` and connections of the pool (console/snapshot_reads.hpp).
PageContent overview_page(ConnectionPool &pool, Connection &db, const Config &config,
                          const OverviewQuery &q);

}  // namespace trace_ctl

#endif
