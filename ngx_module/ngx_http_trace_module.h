/*
 * nginx-trace: declarations shared by the files of the nginx shim.
 *
 *   ngx_http_trace_module.c   directives and configuration
 *   ngx_http_trace_log.c      the request's life: start time, log phase
 *   ngx_http_trace_audit.c    audit events: rules, the audit header, basic auth
 *   ngx_http_trace_form.c     $trace_form_NAME: fields of a form body in memory
 *   ngx_http_trace_sessions.c who is behind a session, learnt from logins
 *   ngx_http_trace_worker.c   the worker's exporter: start, flush, stop
 *   ngx_http_trace_status.c   counters in shared memory, trace_status
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
    ngx_str_t                   conninfo;       /* trace_db */
    ngx_str_t                   host;           /* trace_host */
    ngx_str_t                   session_key;    /* trace_session_key, the key itself */
    size_t                      buffer_size;    /* trace_buffer_size */
    size_t                      batch_size;     /* trace_batch_size */
    ngx_msec_t                  flush_interval; /* trace_flush_interval */
    ngx_msec_t                  db_timeout;     /* trace_db_timeout */
    ngx_msec_t                  drain_timeout;  /* trace_drain_timeout */
    ngx_str_t                   spool_dir;      /* trace_spool */
    off_t                       spool_max_size;

    ngx_shm_zone_t             *status_zone;    /* every worker's counters */
    ngx_shm_zone_t             *sessions_zone;  /* trace_session_zone */
    time_t                      session_timeout;
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
    const char                 *action;     /* "login", "logout", "login_failed" */
    trace_regex_t              *regex;      /* on the path */
    ngx_array_t                *methods;    /* ngx_str_t; NULL: any */
    ngx_array_t                *statuses;   /* ngx_http_trace_status_range_t; NULL: any */
    ngx_http_complex_value_t   *user;       /* NULL: trace_user */
} ngx_http_trace_audit_rule_t;


typedef struct {
    ngx_uint_t                  low;
    ngx_uint_t                  high;
} ngx_http_trace_status_range_t;


typedef struct {
    const char                 *action;
    ngx_str_t                   user;       /* empty: trace_user */
} ngx_http_trace_header_event_t;


/* Per request; found again after an internal redirect reset module contexts. */
typedef struct {
    int64_t                     start_us;
    ngx_array_t                *header_events;  /* ngx_http_trace_header_event_t */
    u_char                      request_id[32]; /* when the module made one */
    unsigned                    request_id_made:1;
} ngx_http_trace_ctx_t;


typedef struct {
    ngx_flag_t                  enable;             /* trace */
    ngx_flag_t                  only_authenticated; /* trace_only_authenticated */
    ngx_array_t                *exclude;            /* trace_exclude: trace_regex_t * */
    ngx_http_complex_value_t   *user;               /* trace_user */
    ngx_http_complex_value_t   *session;            /* trace_session */
    ngx_http_complex_value_t   *request_id;         /* trace_request_id; NULL: default */
    trace_redactor_t           *redactor;           /* trace_redact */

    ngx_flag_t                  audit;              /* trace_audit */
    ngx_array_t                *audit_rules;        /* trace_audit_event */
    ngx_str_t                   audit_header;       /* trace_audit_header */
    ngx_flag_t                  audit_basic_auth;   /* trace_audit_basic_auth */
    ngx_http_complex_value_t   *login_session;      /* trace_audit_login_session */
    ngx_str_t                   session_cookie;     /* NAME of trace_session $cookie_NAME */
} ngx_http_trace_loc_conf_t;


extern ngx_module_t  ngx_http_trace_module;


/* ngx_http_trace_log.c */
ngx_int_t ngx_http_trace_post_read_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_trace_log_handler(ngx_http_request_t *r);
ngx_http_trace_ctx_t *ngx_http_trace_get_ctx(ngx_http_request_t *r,
    ngx_uint_t create);
int64_t ngx_http_trace_start_us(ngx_http_request_t *r);
ngx_uint_t ngx_http_trace_status_code(ngx_http_request_t *r);
void ngx_http_trace_path(ngx_http_request_t *r, trace_str_t *path);
void ngx_http_trace_str(trace_str_t *dst, ngx_str_t *src);
void ngx_http_trace_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    trace_str_t *dst);
void ngx_http_trace_request_id(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_str_t *id);
void ngx_http_trace_request_id_init(void);

/* ngx_http_trace_audit.c */
char *ngx_http_trace_audit_event(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_trace_audit_filter_init(ngx_conf_t *cf);
void ngx_http_trace_record_audit(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp);

/* ngx_http_trace_sessions.c */
char *ngx_http_trace_session_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_trace_session_user(ngx_http_request_t *r, u_char *session,
    trace_str_t *user);
void ngx_http_trace_session_remember(ngx_http_request_t *r, u_char *session,
    trace_str_t *user);
void ngx_http_trace_session_forget(ngx_http_request_t *r, u_char *session);
u_char *ngx_http_trace_hash_session(ngx_http_request_t *r, trace_str_t *token);

/* ngx_http_trace_form.c */
ngx_int_t ngx_http_trace_form_add_variables(ngx_conf_t *cf);

/* ngx_http_trace_status.c */
ngx_int_t ngx_http_trace_status_zone_add(ngx_conf_t *cf);
trace_stats_t *ngx_http_trace_status_claim(ngx_cycle_t *cycle,
    trace_stats_t *fallback);
void ngx_http_trace_status_release(void);
char *ngx_http_trace_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_trace_worker.c */
ngx_int_t ngx_http_trace_init_process(ngx_cycle_t *cycle);
void ngx_http_trace_exit_process(ngx_cycle_t *cycle);
trace_exporter_t *ngx_http_trace_exporter(void);
void ngx_http_trace_schedule_flush(void);


#endif /* NGX_HTTP_TRACE_MODULE_H */
