/*
 * nginx-trace: what the module and trace-ctl must agree on with each other and
 * with sql/: the session key's limits and the hash's length, the audit
 * actions, the columns the module writes and the limits of trace_field.
 * Plain C, so that the shim, the core and trace-ctl all include this one file.
 * t/schema_contract.t checks the names against a migrated database.
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
 * fields (COPY's column list), which need not be the table's: escaped, which
 * names the row's escaped text columns, comes after all of them. The rest of
 * the row (id) is PostgreSQL's.
 */
#define TRACE_REQUEST_COLUMNS                                                    \
    "ts, host, server_name, method, path, query, status, duration, user_name, " \
    "session, client_addr, bytes_sent, user_agent, request_id, referer, "       \
    "protocol, scheme, request_length, upstream_addr, upstream_status, "        \
    "upstream_response_time, fields, escaped, malformed"
#define TRACE_AUDIT_COLUMNS                                                      \
    "ts, host, action, user_name, session, client_addr, method, path, status, " \
    "source, user_agent, request_id, escaped"

/*
 * trace_field NAME VALUE: custom values of a request, stored in
 * trace.requests.fields (jsonb, one key per name). At most TRACE_FIELDS_MAX
 * names at one configuration level, each of 1 to TRACE_FIELD_NAME_MAX bytes of
 * [a-z0-9_] (nginx -t checks; trace-ctl's --field NAME=VALUE checks the same).
 * A value longer than TRACE_FIELD_VALUE_MAX bytes is cut at a character
 * boundary and ends in "…" (U+2026, the mark of every cut column).
 */
#define TRACE_FIELDS_MAX        16
#define TRACE_FIELD_NAME_MAX    64
#define TRACE_FIELD_VALUE_MAX   512

#endif /* TRACE_CONTRACT_H */
