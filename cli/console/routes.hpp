// The console's pages on the HTTP server: which path runs which page, and how
// a page's failure becomes an answer (400 for what was asked, 503 when the
// database is away or too slow, with a page that says so).

#ifndef TRACE_CTL_CONSOLE_ROUTES_HPP
#define TRACE_CTL_CONSOLE_ROUTES_HPP

#include "app/context.hpp"
#include "console/database.hpp"

#include <httplib.h>

namespace trace_ctl {

void add_routes(httplib::Server &server, const Context &ctx, ConnectionPool &pool);

}  // namespace trace_ctl

#endif
