/*
 * nginx-trace: audit events (logins, logouts, failed logins) of a request.
 */

#ifndef NGX_HTTP_TRACE_AUDIT_H
#define NGX_HTTP_TRACE_AUDIT_H

#include "ngx_http_trace_module.h"


/* trace_audit_event */
char *ngx_http_trace_audit_event(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* The log phase: the request's events go to the exporter. */
void ngx_http_trace_record_audit(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp);


#endif /* NGX_HTTP_TRACE_AUDIT_H */
