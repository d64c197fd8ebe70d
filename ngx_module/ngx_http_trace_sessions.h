/*
 * nginx-trace: sessions, only ever as keyed hashes, and who is behind them.
 */

#ifndef NGX_HTTP_TRACE_SESSIONS_H
#define NGX_HTTP_TRACE_SESSIONS_H

#include "ngx_http_trace_module.h"


/* trace_session, trace_session_key and trace_session_zone */
char *ngx_http_trace_session(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_session_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_trace_session_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_trace_sessions_init_main_conf(ngx_conf_t *cf,
    ngx_http_trace_main_conf_t *tmcf);

/* The keyed hash of a session token, in the request's pool; NULL when none. */
u_char *ngx_http_trace_hash_session(ngx_http_request_t *r, trace_str_t *token);

/* What trace_session_zone knows of a session (by its hash). */
ngx_int_t ngx_http_trace_session_user(ngx_http_request_t *r, u_char *session,
    trace_str_t *user);
void ngx_http_trace_session_remember(ngx_http_request_t *r, u_char *session,
    trace_str_t *user);
void ngx_http_trace_session_forget(ngx_http_request_t *r, u_char *session);


#endif /* NGX_HTTP_TRACE_SESSIONS_H */
