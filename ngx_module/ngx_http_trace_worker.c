/*
 * nginx-trace: the worker's exporter and its directives (trace_db, trace_host,
 * trace_spool, the sizes and times). It is started per worker process (never
 * in the master, never at "nginx -t"), fed from the log phase, flushed by a
 * cancelable timer, and drained within trace_drain_timeout at exit.
 */

#include "ngx_http_trace_worker.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_status.h"


#define NGX_HTTP_TRACE_SPOOL_NAME  "trace"


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


char *
ngx_http_trace_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    u_char      err[256];
    ngx_str_t  *value;

    if (tmcf->conninfo.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* nginx's argument strings are NUL-terminated, as the core wants */

    if (trace_conninfo_check((const char *) value[1].data, (char *) err,
                             sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"trace_db\": %s", err);
        return NGX_CONF_ERROR;
    }

    tmcf->conninfo = value[1];

    return NGX_CONF_OK;
}


char *
ngx_http_trace_host(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (tmcf->host.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"trace_host\" must be 1 to 255 characters");
        return NGX_CONF_ERROR;
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"trace_host\" \"%V\": no spaces or "
                               "control characters", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tmcf->host = value[1];

    return NGX_CONF_OK;
}


/*
 * The spool's directory is registered as one of nginx's paths, so that nginx
 * creates it (0700) and gives it to the worker user at start, as it does for
 * its temporary directories. conf_file is NULL for the default, as nginx's
 * own default paths have it.
 */

static char *
ngx_http_trace_spool_path(ngx_conf_t *cf, ngx_http_trace_main_conf_t *tmcf,
    ngx_str_t *name, u_char *conf_file, ngx_uint_t line)
{
    ngx_path_t  *path;

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = *name;

    while (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    path->conf_file = conf_file;
    path->line = line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the core wants the directory as a C string */

    tmcf->spool_dir.data = ngx_pnalloc(cf->pool, path->name.len + 1);
    if (tmcf->spool_dir.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(tmcf->spool_dir.data, path->name.data, path->name.len + 1);
    tmcf->spool_dir.len = path->name.len;

    return NGX_CONF_OK;
}


/* trace_spool DIR [max_size=SIZE] | off */

char *
ngx_http_trace_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    off_t        size;
    ngx_str_t   *value, s;

    if (tmcf->spool_dir.data != NULL || tmcf->spool_off) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        tmcf->spool_off = 1;
        return NGX_CONF_OK;
    }

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "max_size=", 9) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"trace_spool\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 9;
        s.len = value[2].len - 9;

        size = ngx_parse_offset(&s);
        if (size == NGX_ERROR || size < 1024 * 1024) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"max_size\" \"%V\" in \"trace_spool\": "
                               "a size of at least 1m", &s);
            return NGX_CONF_ERROR;
        }

        tmcf->spool_max_size = size;
    }

    return ngx_http_trace_spool_path(cf, tmcf, &value[1],
                                     cf->conf_file->file.name.data,
                                     cf->conf_file->line);
}


/*
 * Without trace_spool, rows that PostgreSQL cannot take now wait on disk in
 * a directory beside nginx's own temporary ones (/var/lib/nginx/trace on
 * Debian, from the client body path nginx was configured with), or under
 * the prefix when that path is relative. Only a server that records gets
 * one: nginx creates it at start.
 */

static char *
ngx_http_trace_spool_default(ngx_conf_t *cf, ngx_http_trace_main_conf_t *tmcf)
{
    u_char     *p, *last;
    ngx_str_t   name, temp = ngx_string(NGX_HTTP_CLIENT_TEMP_PATH);

    last = temp.data + temp.len;
    p = last;

    while (p > temp.data && p[-1] != '/') {
        p--;
    }

    name.len = (p - temp.data) + sizeof(NGX_HTTP_TRACE_SPOOL_NAME) - 1;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(ngx_cpymem(name.data, temp.data, p - temp.data),
               NGX_HTTP_TRACE_SPOOL_NAME, sizeof(NGX_HTTP_TRACE_SPOOL_NAME) - 1);

    return ngx_http_trace_spool_path(cf, tmcf, &name, NULL, 0);
}


/* Defaults and checks, from the module's init_main_conf. */

char *
ngx_http_trace_worker_init_main_conf(ngx_conf_t *cf,
    ngx_http_trace_main_conf_t *tmcf)
{
    u_char  *name;

    ngx_conf_init_size_value(tmcf->buffer_size, 8 * 1024 * 1024);
    /*
     * 1m: about 4,000 rows share one transaction's own cost (the ledger row,
     * the commit, the block summaries' insert; about 1.5 ms), which at 256k
     * was a fifth of what PostgreSQL spent per row (bench/ingest.pl). Never
     * more than half of the buffer, so that a smaller trace_buffer_size alone
     * is still a valid configuration.
     */
    if (tmcf->batch_size == NGX_CONF_UNSET_SIZE) {
        tmcf->batch_size = ngx_min(1024 * 1024, tmcf->buffer_size / 2);
    }
    ngx_conf_init_msec_value(tmcf->flush_interval, 1000);
    ngx_conf_init_msec_value(tmcf->db_timeout, 10000);
    ngx_conf_init_msec_value(tmcf->drain_timeout, 3000);

    if (tmcf->spool_max_size == NGX_CONF_UNSET) {
        tmcf->spool_max_size = 1024 * 1024 * 1024;
    }

    if (tmcf->batch_size < 1024 || tmcf->batch_size * 2 > tmcf->buffer_size) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_batch_size\" (%uz) must be at least 1k and at "
                      "most half of \"trace_buffer_size\" (%uz)",
                      tmcf->batch_size, tmcf->buffer_size);
        return NGX_CONF_ERROR;
    }

    if (tmcf->flush_interval == 0 || tmcf->db_timeout == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_flush_interval\" and \"trace_db_timeout\" "
                      "must be greater than zero");
        return NGX_CONF_ERROR;
    }

    if (tmcf->trace_file != NULL && tmcf->spool_dir.data == NULL
        && !tmcf->spool_off
        && ngx_http_trace_spool_default(cf, tmcf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (tmcf->host.data == NULL) {
        /* like the old HOST setting: this machine's name unless overridden */
        name = ngx_pnalloc(cf->pool, cf->cycle->hostname.len + 1);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(name, cf->cycle->hostname.data,
                    cf->cycle->hostname.len + 1);
        tmcf->host.data = name;
        tmcf->host.len = cf->cycle->hostname.len;
    }

    return NGX_CONF_OK;
}


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
    conf.flush_interval_ms = (uint32_t) tmcf->flush_interval;
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
