/*
 * nginx-trace: what the module and trace-ctl must agree on with each other and
 * with sql/: the session key's limits and the hash's length, the audit
 * actions, and the columns the module writes. Plain C, so that the shim, the
 * core and trace-ctl all include this one file. t/schema_contract.t checks the
 * names against a migrated database.
 */

#ifndef TRACE_CONTRACT_H
#define TRACE_CONTRACT_H

/*
 * Session tokens are never stored: the module stores a keyed hash of them,
 * HMAC-SHA256(key, token) cut to 128 bits and written as 32 lowercase hex
 * digits. trace-ctl computes the same to look a session up by its token.
 */
#define TRACE_SESSION_KEY_MIN  16
#define TRACE_SESSION_KEY_MAX  1024
#define TRACE_SESSION_HASH_LEN 32

/* trace.audit.action (its CHECK constraint). */
#define TRACE_ACTION_LOGIN         "login"
#define TRACE_ACTION_LOGOUT        "logout"
#define TRACE_ACTION_LOGIN_FAILED  "login_failed"
#define TRACE_ACTIONS  { TRACE_ACTION_LOGIN, TRACE_ACTION_LOGOUT, TRACE_ACTION_LOGIN_FAILED }

/*
 * The columns of each table the module's rows fill, in the order of their
 * fields (COPY's column list). The rest of the row (id) is PostgreSQL's.
 */
#define TRACE_REQUEST_COLUMNS                                                    \
    "ts, host, server_name, method, path, query, status, duration, user_name, " \
    "session, client_addr, bytes_sent, user_agent, request_id, escaped, "       \
    "malformed"
#define TRACE_AUDIT_COLUMNS                                                      \
    "ts, host, action, user_name, session, client_addr, method, path, status, " \
    "source, user_agent, request_id, escaped"

#endif /* TRACE_CONTRACT_H */
