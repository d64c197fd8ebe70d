/*
 * nginx-trace: the request row of a finished request.
 */

#ifndef NGX_HTTP_TRACE_ROWS_H
#define NGX_HTTP_TRACE_ROWS_H

#include "ngx_http_trace_module.h"


/* trace_exclude, trace_redact and trace_field */
char *ngx_http_trace_exclude(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_redact(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* The log phase: the request's row goes to the exporter, unless excluded. */
void ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp);


#endif /* NGX_HTTP_TRACE_ROWS_H */
