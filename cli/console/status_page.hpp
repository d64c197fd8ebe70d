// /status: what `trace-ctl status` reports (status/status.hpp, read by its own
// code), as tables: the database, the schema version, each table's rows,
// size and freshness, rejected rows, and the module's counters when
// status_url is configured.

#ifndef TRACE_CTL_CONSOLE_STATUS_PAGE_HPP
#define TRACE_CTL_CONSOLE_STATUS_PAGE_HPP

#include "app/context.hpp"
#include "console/database.hpp"
#include "console/layout.hpp"

namespace trace_ctl {

// It answers when the database is away too: that is what it reports.
PageContent status_page(const Context &ctx, ConnectionPool &pool);

}  // namespace trace_ctl

#endif
