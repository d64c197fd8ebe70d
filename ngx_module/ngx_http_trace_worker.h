/*
 * nginx-trace: the worker's exporter, started per worker process.
 */

#ifndef NGX_HTTP_TRACE_WORKER_H
#define NGX_HTTP_TRACE_WORKER_H

#include "ngx_http_trace_module.h"


/* trace_db, trace_host, trace_spool; the other sizes and times are slots */
char *ngx_http_trace_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_host(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_trace_worker_init_main_conf(ngx_conf_t *cf,
    ngx_http_trace_main_conf_t *tmcf);

/* init_process and exit_process */
ngx_int_t ngx_http_trace_init_process(ngx_cycle_t *cycle);
void ngx_http_trace_exit_process(ngx_cycle_t *cycle);

/* NULL where recording is off in this worker. */
trace_exporter_t *ngx_http_trace_exporter(void);

/* Arms the flush timer when rows wait. */
void ngx_http_trace_schedule_flush(void);


#endif /* NGX_HTTP_TRACE_WORKER_H */
