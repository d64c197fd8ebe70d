/*
 * The seam between the nginx shim (C, knows nginx) and the core (C++17, knows
 * records, batches and PostgreSQL). Only plain C types cross it; the core never
 * lets an exception or an nginx type through: every function here catches all
 * (core/guard.hpp) and returns its error value.
 *
 * Threading: everything here is called from the nginx worker's own thread.
 * The exporter runs one sender thread of its own, which never calls back into
 * nginx; its messages reach the error log through trace_exporter_drain_log(),
 * on the worker's thread.
 */

#ifndef TRACE_CORE_H
#define TRACE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "trace_contract.h"   /* common/: names and limits trace-ctl shares */
#include "trace_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TRACE_API __attribute__((visibility("default")))
#else
#define TRACE_API
#endif


/* A borrowed byte string; data == NULL means "absent" (SQL NULL). */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} trace_str_t;


/*
 * Checks a libpq connection string without connecting. Returns 0 when it is
 * usable, or -1 with a one-line reason in err. A password in the string is
 * refused: it would be readable in nginx.conf or in ps; libpq's passfile is the
 * place for it.
 */
TRACE_API int trace_conninfo_check(const char *conninfo, char *err, size_t errlen);


/*
 * Session tokens are never stored: the module stores a keyed hash of them
 * (common/session_hash.hpp; the limits are in trace_contract.h).
 */

/*
 * Reads a key file: its content, without trailing white space, is the key, at
 * least TRACE_SESSION_KEY_MIN bytes. Refuses a file that others may read.
 * Returns the key's length, or -1 with a reason in err.
 */
TRACE_API int trace_session_key_read(const char *path, unsigned char *key,
    size_t keysize, char *err, size_t errlen);

/*
 * Writes TRACE_SESSION_HASH_LEN hex digits (no terminating NUL) to out.
 * Returns 0, or -1 (out untouched) when OpenSSL or memory failed.
 */
TRACE_API int trace_session_hash(const unsigned char *key, size_t keylen,
    const unsigned char *token, size_t tokenlen, char *out);


/* PCRE2 patterns, compiled at configuration time (JIT where available). */
typedef struct trace_regex_s  trace_regex_t;

TRACE_API trace_regex_t *trace_regex_compile(const unsigned char *pattern,
    size_t len, char *err, size_t errlen);
/* 1 when the pattern matches anywhere in subject, else 0 (also past the match limit). */
TRACE_API int trace_regex_match(const trace_regex_t *re,
    const unsigned char *subject, size_t len);
TRACE_API void trace_regex_free(trace_regex_t *re);


/*
 * The query parameters whose values are redacted before anything is stored:
 * names compared case-insensitively after percent-decoding, '*' a wildcard.
 * names == NULL selects the built-in list (password, *token*, api_key, ...).
 */
typedef struct trace_redactor_s  trace_redactor_t;

TRACE_API trace_redactor_t *trace_redactor_create(const trace_str_t *names,
    size_t n, char *err, size_t errlen);
TRACE_API void trace_redactor_free(trace_redactor_t *redactor);


/*
 * One trace_field of a request: name is 1 to TRACE_FIELD_NAME_MAX bytes of
 * [a-z0-9_] (checked at configuration time); value is any bytes, cut at
 * TRACE_FIELD_VALUE_MAX. A field whose value is absent or empty is left out.
 */
typedef struct {
    trace_str_t              name;
    trace_str_t              value;
} trace_field_t;


/* One HTTP request, as the shim sees it in the log phase. */
typedef struct {
    int64_t                  start_us;      /* wall clock, microseconds since the epoch */
    int64_t                  duration_us;
    trace_str_t              server_name;
    trace_str_t              method;
    trace_str_t              uri;           /* as the client sent it: path and ?query */
    int                      status;
    trace_str_t              user;
    trace_str_t              session;       /* the raw token: hashed, never stored */
    const char              *session_hash;  /* or its hash, when the shim made it */
    trace_str_t              client_addr;   /* text; not an address: stored as NULL */
    int64_t                  bytes_sent;
    trace_str_t              user_agent;
    trace_str_t              request_id;
    const trace_redactor_t  *redactor;      /* NULL: the built-in list */
    /*
     * nginx rejected the request while reading its request line or header:
     * uri is then the target as the client sent it (stored cut to 2 KB),
     * and uri_cut says that the client's target went on beyond it.
     */
    int                      malformed;
    int                      uri_cut;
    trace_str_t              referer;
    trace_str_t              protocol;      /* $server_protocol; empty: NULL */
    trace_str_t              scheme;
    int64_t                  request_length;
    /* as nginx's $upstream_addr, $upstream_status, $upstream_response_time */
    trace_str_t              upstream_addr;
    trace_str_t              upstream_status;
    trace_str_t              upstream_response_time;
    const trace_field_t     *fields;        /* trace_field, nfields of them */
    size_t                   nfields;
} trace_request_t;


/* One audit event: a login, logout or failed login. */
typedef struct {
    int64_t                  ts_us;
    const char              *action;        /* "login", "logout", "login_failed" */
    const char              *source;        /* "rule", "header", "basic_auth" */
    trace_str_t              user;
    trace_str_t              session;       /* the raw token: hashed, never stored */
    const char              *session_hash;  /* or its hash, when the shim made it */
    trace_str_t              client_addr;
    trace_str_t              method;
    trace_str_t              path;          /* without the query */
    int                      status;
    trace_str_t              user_agent;
    trace_str_t              request_id;
} trace_audit_t;

/*
 * The audit header's grammar: "ACTION [USER]", ACTION one of login, logout,
 * login_failed, USER percent-decoded (so that any bytes can be reported).
 * Writes the action (a static string) and the user into user_buf (at least
 * len bytes). Returns 0, or -1 when the value does not follow the grammar.
 */
TRACE_API int trace_audit_header_parse(const unsigned char *value, size_t len,
    const char **action, unsigned char *user_buf, size_t *user_len);

/*
 * The value of field `name` in an application/x-www-form-urlencoded body,
 * percent-decoded ('+' is a space) into out (at least body_len bytes).
 * Returns 1 when found, 0 when not.
 */
TRACE_API int trace_form_field(const unsigned char *body, size_t body_len,
    const unsigned char *name, size_t name_len, unsigned char *out,
    size_t *out_len);


/* Counters of one worker's exporter; written by the core, read by anyone. */
typedef struct {
    uint64_t     queued_rows;       /* now in memory, waiting to be sent */
    uint64_t     queued_bytes;
    uint64_t     sent_rows;         /* committed to PostgreSQL */
    uint64_t     sent_batches;
    uint64_t     duplicate_batches; /* found already committed on retry: skipped */
    uint64_t     rejected_rows;     /* refused by the server, kept in trace.rejected */
    uint64_t     dropped_rows;      /* lost: memory bound reached (or spool full) */
    uint64_t     spooled_rows;
    uint64_t     replayed_rows;
    uint64_t     spool_bytes;
    uint64_t     connected;         /* 1 while a connection is up */
    uint64_t     spool_state;       /* TRACE_SPOOL_NONE, _USABLE, _UNUSABLE */
    uint64_t     last_error_time;   /* seconds since the epoch */
    uint64_t     error_seq;         /* odd while last_error is being written */
    char         last_error[256];
} trace_stats_t;

/*
 * Whether the worker can write its spool: checked when it starts (a file made
 * and removed there as the worker's user), and again at every write.
 */
#define TRACE_SPOOL_NONE      0     /* no trace_spool */
#define TRACE_SPOOL_USABLE    1
#define TRACE_SPOOL_UNUSABLE  2


/* Reading counters that another thread or process updates. */
TRACE_API uint64_t trace_stats_get(const uint64_t *counter);
/* Copies last_error consistently; returns its length ("" while being written). */
TRACE_API size_t trace_stats_read_error(const trace_stats_t *stats, char *buf,
    size_t len);


/* Levels of the exporter's messages; the shim maps them onto nginx's. */
enum {
    TRACE_LOG_ERR = 1,
    TRACE_LOG_WARN,
    TRACE_LOG_NOTICE,
    TRACE_LOG_INFO
};

typedef void (*trace_log_pt)(void *ctx, int level, const char *msg, size_t len);

typedef struct {
    const char          *conninfo;
    const char          *host;              /* the host column of every row */
    const unsigned char *session_key;       /* NULL: sessions are not recorded */
    size_t               session_key_len;
    size_t               buffer_size;       /* memory bound: rows held, in bytes */
    size_t               batch_size;        /* a batch is sent when it holds this much */
    uint32_t             flush_interval_ms; /* with a spool: longest wait in memory */
    uint32_t             db_timeout_ms;     /* longest wait for any database step */
    uint32_t             retry_max_ms;      /* reconnect backoff ceiling */
    const char          *spool_dir;         /* NULL: no spool */
    uint64_t             spool_max_size;    /* all spool files together */
    trace_stats_t       *stats;             /* where counters go; NULL: private */
    trace_log_pt         log;
    void                *log_ctx;
} trace_exporter_conf_t;

typedef struct trace_exporter_s  trace_exporter_t;

/*
 * Starts the sender thread (per worker process, in init_process). Nothing
 * connects here: the thread connects in the background.
 */
TRACE_API trace_exporter_t *trace_exporter_start(
    const trace_exporter_conf_t *conf, char *err, size_t errlen);

/* Adds a request row. 0: held; -1: dropped (counted) because memory is full. */
TRACE_API int trace_exporter_add_request(trace_exporter_t *exp,
    const trace_request_t *req);

/* Adds an audit row. 0: held; -1: dropped (counted). */
TRACE_API int trace_exporter_add_audit(trace_exporter_t *exp,
    const trace_audit_t *event);

/* 1 when rows wait in the current batch: the shim keeps a flush timer armed. */
TRACE_API int trace_exporter_has_pending(const trace_exporter_t *exp);

/* Hands the current batch to the sender thread. */
TRACE_API void trace_exporter_flush(trace_exporter_t *exp);

/*
 * A descriptor that becomes readable when the sender thread has messages for
 * the error log; then call trace_exporter_drain_log().
 */
TRACE_API int trace_exporter_notify_fd(const trace_exporter_t *exp);
TRACE_API void trace_exporter_drain_log(trace_exporter_t *exp);

/*
 * Sends what is held within drain_ms, then stops the thread and frees the
 * exporter. Never takes much longer than drain_ms, whatever the database does.
 */
TRACE_API void trace_exporter_stop(trace_exporter_t *exp, uint32_t drain_ms);

#ifdef __cplusplus
}
#endif

#endif /* TRACE_CORE_H */
