/*
 * nginx-trace: the hub of a request's life. The context the module keeps
 * per request (its start, the events its upstream reported, its request id),
 * and the accessors through which the phase files and subsystems read the
 * request. Depends on no other file of the shim.
 */

#ifndef NGX_HTTP_TRACE_REQUEST_H
#define NGX_HTTP_TRACE_REQUEST_H

#include "ngx_http_trace_module.h"


/* An event the upstream reported in the audit header. */
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


/* Walks a header list; see ngx_http_trace_headers_next(). */
typedef struct {
    ngx_list_part_t            *part;
    ngx_uint_t                  i;
} ngx_http_trace_headers_t;


/* The post-read phase: the context is made, the start noted. */
ngx_int_t ngx_http_trace_post_read_handler(ngx_http_request_t *r);

ngx_http_trace_ctx_t *ngx_http_trace_get_ctx(ngx_http_request_t *r,
    ngx_uint_t create);

/* The wall clock, and the request's start on it, in microseconds. */
int64_t ngx_http_trace_now_us(void);
int64_t ngx_http_trace_start_us(ngx_http_request_t *r);

ngx_uint_t ngx_http_trace_status_code(ngx_http_request_t *r);
void ngx_http_trace_path(ngx_http_request_t *r, trace_str_t *path);
void ngx_http_trace_uri_path(trace_str_t *uri, trace_str_t *path);
void ngx_http_trace_str(trace_str_t *dst, ngx_str_t *src);

/* A request nginx rejected before processing it, and what its client sent. */
ngx_uint_t ngx_http_trace_rejected(ngx_http_request_t *r);
void ngx_http_trace_rejected_target(ngx_http_request_t *r, trace_str_t *method,
    trace_str_t *target, ngx_uint_t *cut);
void ngx_http_trace_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    trace_str_t *dst);

/* The request id of rows and events; _init once per worker process. */
void ngx_http_trace_request_id_init(void);
void ngx_http_trace_request_id(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_str_t *id);

/* The headers of a list named name (case-insensitively), one by one; NULL: no more. */
void ngx_http_trace_headers_init(ngx_http_trace_headers_t *it,
    ngx_list_t *headers);
ngx_table_elt_t *ngx_http_trace_headers_next(ngx_http_trace_headers_t *it,
    ngx_str_t *name);


#endif /* NGX_HTTP_TRACE_REQUEST_H */
