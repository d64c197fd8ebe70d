// /users/NAME and /sessions/HASH: one user's or one session's audit events and
// requests, each read as a listing page with the CLI's filters and queries.

#ifndef TRACE_CTL_CONSOLE_PEOPLE_PAGES_HPP
#define TRACE_CTL_CONSOLE_PEOPLE_PAGES_HPP

#include "app/config.hpp"
#include "app/pg.hpp"
#include "console/layout.hpp"

#include <string>

namespace trace_ctl {

// `user` is the name's bytes, as decoded from the URL. Throws UsageError.
PageContent user_page(Connection &db, const Config &config, const std::string &user);

// `hash`: all 32 hex digits or a prefix of 8 or more. Throws UsageError.
PageContent session_page(Connection &db, const Config &config, const std::string &hash);

}  // namespace trace_ctl

#endif
