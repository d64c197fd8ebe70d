// audit --summary: per user, the last login and logout, the failed logins, and
// whether the user is probably still signed in, over a window of audit events.
//
// The rule: each session's last login is open unless a later logout closes it:
// a logout of the same session, or a logout that carries no session hash (a
// logout rule without trace_session), which closes every session of the user.
// Logins without a session hash (basic authentication) count as one session,
// closed by any later logout of the user. A user with an open session is
// "probably signed in": probably, because sessions also end by expiring or by
// the browser closing, which nginx never sees, and what happened before the
// window is not looked at.

#ifndef TRACE_CTL_RECORDS_AUDIT_SUMMARY_HPP
#define TRACE_CTL_RECORDS_AUDIT_SUMMARY_HPP

#include "records/filters.hpp"

#include <string>

namespace trace_ctl {

// The window when neither --since nor --until is given.
inline constexpr const char *default_summary_window = "7d";

// The summary query over the audit rows that `where` selects, the most recently
// active users first, paged by $limit and $offset. One pass over the window:
// grouped by (user, session), then by user.
std::string audit_summary_query(const WhereClause &where, const std::string &limit,
                                const std::string &offset);

// Each open session (by the same rule) of the audit rows that `where` selects,
// the newest login first, paged by $limit and $offset: the session hash (NULL
// for logins without one), its last login, its last event, and how many open
// sessions there are in all (audit_open_sessions_columns).
std::string open_sessions_query(const WhereClause &where, const std::string &limit,
                                const std::string &offset);

}  // namespace trace_ctl

#endif
