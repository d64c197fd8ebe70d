/*
 * nginx-trace: the worker's exporter. It is started per worker process (never
 * in the master, never at "nginx -t"), fed from the log phase, flushed by a
 * cancelable timer, and drained within trace_drain_timeout at exit.
 */

#include "ngx_http_trace_worker.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_status.h"


static void ngx_http_trace_flush_handler(ngx_event_t *ev);
static void ngx_http_trace_notify_handler(ngx_event_t *ev);
static void ngx_http_trace_log_message(void *ctx, int level, const char *msg,
    size_t len);


static trace_exporter_t  *ngx_http_trace_worker_exporter;
static ngx_event_t        ngx_http_trace_flush_event;
static ngx_connection_t  *ngx_http_trace_notify_conn;
static ngx_msec_t         ngx_http_trace_flush_interval;
static ngx_msec_t         ngx_http_trace_drain_timeout;
static trace_stats_t      ngx_http_trace_local_stats;


trace_exporter_t *
ngx_http_trace_exporter(void)
{
    return ngx_http_trace_worker_exporter;
}


ngx_int_t
ngx_http_trace_init_process(ngx_cycle_t *cycle)
{
    u_char                      err[256];
    trace_exporter_conf_t       conf;
    ngx_http_trace_main_conf_t *tmcf;

    /* cache managers and loaders run init_process too; they serve nothing */

    if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_trace_module);

    if (tmcf == NULL || tmcf->trace_file == NULL) {
        return NGX_OK;
    }

    ngx_http_trace_request_id_init();

    ngx_memzero(&conf, sizeof(trace_exporter_conf_t));

    conf.conninfo = (const char *) tmcf->conninfo.data;
    conf.host = (const char *) tmcf->host.data;
    conf.session_key = tmcf->session_key.data;
    conf.session_key_len = tmcf->session_key.len;
    conf.buffer_size = tmcf->buffer_size;
    conf.batch_size = tmcf->batch_size;
    conf.db_timeout_ms = (uint32_t) tmcf->db_timeout;
    conf.stats = ngx_http_trace_status_claim(cycle, &ngx_http_trace_local_stats);

    if (tmcf->spool_dir.data != NULL) {
        conf.spool_dir = (const char *) tmcf->spool_dir.data;
        conf.spool_max_size = (uint64_t) tmcf->spool_max_size;
    }
    conf.log = ngx_http_trace_log_message;
    conf.log_ctx = cycle->log;

    ngx_http_trace_worker_exporter = trace_exporter_start(&conf, (char *) err,
                                                          sizeof(err));
    if (ngx_http_trace_worker_exporter == NULL) {
        /* nginx serves on; only recording is off in this worker */
        ngx_http_trace_status_release();
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "trace: cannot start the exporter: %s; requests of "
                      "this worker are not recorded", err);
        return NGX_OK;
    }

    ngx_http_trace_flush_interval = tmcf->flush_interval;
    ngx_http_trace_drain_timeout = tmcf->drain_timeout;

    /* the flush timer must never keep a worker from exiting */

    ngx_http_trace_flush_event.handler = ngx_http_trace_flush_handler;
    ngx_http_trace_flush_event.log = cycle->log;
    ngx_http_trace_flush_event.data = &ngx_http_trace_flush_event;
    ngx_http_trace_flush_event.cancelable = 1;

    /* the sender thread's messages reach the error log through this */

    ngx_http_trace_notify_conn = ngx_get_connection(
        trace_exporter_notify_fd(ngx_http_trace_worker_exporter), cycle->log);

    if (ngx_http_trace_notify_conn == NULL) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "trace: no connection left for the exporter's messages; "
                      "they are written at exit only");
        return NGX_OK;
    }

    ngx_http_trace_notify_conn->read->handler = ngx_http_trace_notify_handler;
    ngx_http_trace_notify_conn->read->log = cycle->log;
    ngx_http_trace_notify_conn->write->log = cycle->log;

    if (ngx_handle_read_event(ngx_http_trace_notify_conn->read, 0) != NGX_OK) {
        ngx_free_connection(ngx_http_trace_notify_conn);
        ngx_http_trace_notify_conn->fd = (ngx_socket_t) -1;
        ngx_http_trace_notify_conn = NULL;
    }

    return NGX_OK;
}


void
ngx_http_trace_exit_process(ngx_cycle_t *cycle)
{
    trace_exporter_t  *exp;

    exp = ngx_http_trace_worker_exporter;

    if (exp == NULL) {
        return;
    }

    ngx_http_trace_worker_exporter = NULL;

    if (ngx_http_trace_flush_event.timer_set) {
        ngx_del_timer(&ngx_http_trace_flush_event);
    }

    if (ngx_http_trace_notify_conn != NULL) {
        /* the descriptor belongs to the exporter, which closes it */
        ngx_del_conn(ngx_http_trace_notify_conn, 0);
        ngx_free_connection(ngx_http_trace_notify_conn);
        ngx_http_trace_notify_conn->fd = (ngx_socket_t) -1;
        ngx_http_trace_notify_conn = NULL;
    }

    /* bounded: the core gives up on the database at the drain deadline */

    trace_exporter_stop(exp, (uint32_t) ngx_http_trace_drain_timeout);

    ngx_http_trace_status_release();
}


void
ngx_http_trace_schedule_flush(void)
{
    if (!ngx_http_trace_flush_event.timer_set
        && ngx_http_trace_worker_exporter != NULL
        && trace_exporter_has_pending(ngx_http_trace_worker_exporter))
    {
        ngx_add_timer(&ngx_http_trace_flush_event,
                      ngx_http_trace_flush_interval);
    }
}


static void
ngx_http_trace_flush_handler(ngx_event_t *ev)
{
    if (ngx_http_trace_worker_exporter != NULL) {
        trace_exporter_flush(ngx_http_trace_worker_exporter);
    }
}


static void
ngx_http_trace_notify_handler(ngx_event_t *ev)
{
    if (ngx_http_trace_worker_exporter != NULL) {
        trace_exporter_drain_log(ngx_http_trace_worker_exporter);
    }
}


static void
ngx_http_trace_log_message(void *ctx, int level, const char *msg, size_t len)
{
    ngx_log_t   *log = ctx;
    ngx_uint_t   nlevel;

    switch (level) {

    case TRACE_LOG_ERR:
        nlevel = NGX_LOG_ERR;
        break;

    case TRACE_LOG_WARN:
        nlevel = NGX_LOG_WARN;
        break;

    case TRACE_LOG_NOTICE:
        nlevel = NGX_LOG_NOTICE;
        break;

    default:
        nlevel = NGX_LOG_INFO;
        break;
    }

    ngx_log_error(nlevel, log, 0, "%*s", len, msg);
}
