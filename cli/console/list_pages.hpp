// /requests and /audit: the form of every filter, one anchored page read by
// trace-ctl's own code (records/anchored_page.hpp) and shown as a table, links
// to the next page on the same anchor, and to the same rows as CSV or JSON.

#ifndef TRACE_CTL_CONSOLE_LIST_PAGES_HPP
#define TRACE_CTL_CONSOLE_LIST_PAGES_HPP

#include "app/config.hpp"
#include "app/pg.hpp"
#include "console/layout.hpp"
#include "console/request_params.hpp"

namespace trace_ctl {

// `params` are the page's own, for the links that keep them.
PageContent requests_page(Connection &db, const Config &config, const RequestsQuery &q,
                          const ParamMap &params);
PageContent audit_page(Connection &db, const Config &config, const AuditQuery &q,
                       const ParamMap &params);

}  // namespace trace_ctl

#endif
