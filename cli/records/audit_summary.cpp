#include "records/audit_summary.hpp"

#include "app/time_text.hpp"

namespace trace_ctl {

namespace {

// The rule of audit_summary.hpp, once: per (user, session) of the window,
// whether its last login is still open, as the CTEs per_session and judged.
std::string judged_sessions(const WhereClause &where) {
    // Per session: its last login and logout, failures, last event. A user
    // is a name and whether it is stored escaped (records/escaping.hpp): the
    // byte 0xff and the four characters \xff are two users.
    const std::string per_session =
        "SELECT user_name, coalesce('user_name' = ANY(escaped), false) AS user_escaped, session,"
        "       max(ts) FILTER (WHERE action = 'login') AS login_at,"
        "       max(ts) FILTER (WHERE action = 'logout') AS logout_at,"
        "       count(*) FILTER (WHERE action = 'login_failed') AS failed,"
        "       max(ts) AS last_seen"
        " FROM trace.audit " + where.sql + " GROUP BY user_name, user_escaped, session";
    // Is the session's last login still open? (The rule in audit_summary.hpp.)
    const std::string judged =
        "SELECT *, login_at > coalesce(CASE WHEN session IS NULL"
        "    THEN max(logout_at) OVER same_user"
        "    ELSE greatest(logout_at,"
        "                  max(logout_at) FILTER (WHERE session IS NULL) OVER same_user)"
        "    END, '-infinity') AS open"
        " FROM per_session WINDOW same_user AS (PARTITION BY user_name, user_escaped)";
    return "WITH per_session AS (" + per_session + "), judged AS (" + judged + ")";
}

}  // namespace

std::string audit_summary_query(const WhereClause &where, const std::string &limit,
                                const std::string &offset) {
    const std::string last_login = epoch_micros_sql("max(login_at)");
    const std::string last_logout = epoch_micros_sql("max(logout_at)");
    return judged_sessions(where) +
           " SELECT user_name, " + last_login + ", " + last_logout + ", sum(failed)::bigint,"
           "        count(*) FILTER (WHERE open), count(*) FILTER (WHERE open) > 0,"
           "        CASE WHEN user_escaped THEN '[\"user_name\"]' END"
           " FROM judged GROUP BY user_name, user_escaped"
           " ORDER BY max(last_seen) DESC, user_name"
           " LIMIT " + limit + " OFFSET " + offset;
}

std::string open_sessions_query(const WhereClause &where, const std::string &limit,
                                const std::string &offset) {
    // count(*) OVER () is taken before LIMIT: every open session, shown or not.
    return judged_sessions(where) +
           " SELECT session, " + epoch_micros_sql("login_at") + ", " +
           epoch_micros_sql("last_seen") + ", count(*) OVER ()"
           " FROM judged WHERE open"
           " ORDER BY login_at DESC, session NULLS LAST"
           " LIMIT " + limit + " OFFSET " + offset;
}

}  // namespace trace_ctl
