/*
 * nginx-trace: the module's configuration, which every file of the shim reads.
 *
 * The files, in the order of a request's life; each NAME.c has a NAME.h that
 * declares what it offers the others, the handlers of its directives too (the
 * one command table is in ngx_http_trace_module.c):
 *
 *   ngx_http_trace_module.c    the module: the directive table, configuration,
 *                              trace/trace_audit, installing the handlers
 *   ngx_http_trace_compile.c   what directives compile: a regex, a complex value
 *   ngx_http_trace_request.c   the hub: a request's context, its start (post-read
 *                              phase), its request id, the accessors of it
 *   ngx_http_trace_form.c      $trace_form_NAME: fields of a form body in memory
 *   ngx_http_trace_header.c    the audit header filter (trace_audit_header)
 *   ngx_http_trace_log.c       the log phase: a request row, audit events
 *   ngx_http_trace_rows.c      request rows (trace_exclude, trace_redact,
 *                              trace_field, the upstream columns)
 *   ngx_http_trace_audit.c     audit events: rules (trace_audit_event), basic auth
 *   ngx_http_trace_sessions.c  sessions: trace_session, trace_session_key, the
 *                              hash, who is behind one (trace_session_zone)
 *   ngx_http_trace_worker.c    the worker's exporter (trace_db, trace_host,
 *                              trace_spool, ...): start, flush, stop
 *   ngx_http_trace_status.c    counters in shared memory, trace_status
 *
 * No file calls into ngx_http_trace_module.c (they read its module object
 * for their configuration, as nginx modules do); the hub and the compile
 * helpers call no other file; there is no cycle of includes or calls
 * (scripts/shim-graph.pl prints the edges and checks).
 *
 * The shim speaks nginx; everything about records and PostgreSQL is behind
 * trace_core.h.
 */

#ifndef NGX_HTTP_TRACE_MODULE_H
#define NGX_HTTP_TRACE_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "trace_core.h"


typedef struct {
    /* the worker's exporter */
    ngx_str_t                   conninfo;       /* trace_db */
    ngx_str_t                   host;           /* trace_host */
    size_t                      buffer_size;    /* trace_buffer_size */
    size_t                      batch_size;     /* trace_batch_size */
    ngx_msec_t                  flush_interval; /* trace_flush_interval */
    ngx_msec_t                  db_timeout;     /* trace_db_timeout */
    ngx_msec_t                  drain_timeout;  /* trace_drain_timeout */
    ngx_str_t                   spool_dir;      /* trace_spool */
    off_t                       spool_max_size;
    ngx_flag_t                  spool_off;      /* trace_spool off */

    /* sessions */
    ngx_str_t                   session_key;    /* trace_session_key, the key itself */
    ngx_shm_zone_t             *sessions_zone;  /* trace_session_zone */
    time_t                      session_timeout;

    /* status */
    ngx_shm_zone_t             *status_zone;    /* every worker's counters */
    ngx_flag_t                  status_used;    /* trace_status is somewhere */

    /* defaults shared by every location that does not set its own */
    ngx_http_complex_value_t   *default_user;        /* $remote_user */
    ngx_int_t                   request_id_index;    /* of $request_id */

    ngx_flag_t                  audit_header_used;  /* install the header filter */

    /* where a directive that needs another was first used, for errors */
    const char                 *trace_directive;    /* trace or trace_audit */
    u_char                     *trace_file;
    ngx_uint_t                  trace_line;
    u_char                     *session_file;
    ngx_uint_t                  session_line;
} ngx_http_trace_main_conf_t;


typedef struct {
    /* request rows */
    ngx_flag_t                  enable;             /* trace */
    ngx_flag_t                  only_authenticated; /* trace_only_authenticated */
    ngx_array_t                *exclude;            /* trace_exclude: trace_regex_t * */
    ngx_http_complex_value_t   *user;               /* trace_user */
    ngx_http_complex_value_t   *session;            /* trace_session */
    ngx_http_complex_value_t   *request_id;         /* trace_request_id; NULL: default */
    trace_redactor_t           *redactor;           /* trace_redact */
    ngx_array_t                *fields;             /* trace_field, of rows.c */

    /* audit events */
    ngx_flag_t                  audit;              /* trace_audit */
    ngx_array_t                *audit_rules;        /* trace_audit_event, of audit.c */
    ngx_str_t                   audit_header;       /* trace_audit_header */
    ngx_flag_t                  audit_basic_auth;   /* trace_audit_basic_auth */
    ngx_http_complex_value_t   *login_session;      /* trace_audit_login_session */
    ngx_str_t                   session_cookie;     /* NAME of trace_session $cookie_NAME */
} ngx_http_trace_loc_conf_t;


extern ngx_module_t  ngx_http_trace_module;


#endif /* NGX_HTTP_TRACE_MODULE_H */
