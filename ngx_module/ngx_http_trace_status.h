/*
 * nginx-trace: the workers' counters in shared memory, and trace_status.
 */

#ifndef NGX_HTTP_TRACE_STATUS_H
#define NGX_HTTP_TRACE_STATUS_H

#include "ngx_http_trace_module.h"


/* trace_status */
char *ngx_http_trace_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* postconfiguration: the shared zone */
ngx_int_t ngx_http_trace_status_zone_add(ngx_conf_t *cf);

/* A worker's counters: its slot of the zone, else fallback; and back. */
trace_stats_t *ngx_http_trace_status_claim(ngx_cycle_t *cycle,
    trace_stats_t *fallback);
void ngx_http_trace_status_release(void);


#endif /* NGX_HTTP_TRACE_STATUS_H */
