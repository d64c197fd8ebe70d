/*
 * nginx-trace: the audit header filter, reading events an upstream reports.
 */

#ifndef NGX_HTTP_TRACE_HEADER_H
#define NGX_HTTP_TRACE_HEADER_H

#include "ngx_http_trace_module.h"


/* trace_audit_header */
char *ngx_http_trace_audit_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* postconfiguration, where a trace_audit_header is set */
ngx_int_t ngx_http_trace_header_filter_init(ngx_conf_t *cf);


#endif /* NGX_HTTP_TRACE_HEADER_H */
