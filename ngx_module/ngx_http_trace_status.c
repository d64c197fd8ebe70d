/*
 * nginx-trace: the exporters' counters in shared memory, one slot per worker
 * process, and the trace_status handler that shows them all as JSON, the way
 * stub_status shows connections. Slots outlive reloads: old workers draining
 * and new workers serving each hold their own.
 */

#include "ngx_http_trace_status.h"


#define NGX_HTTP_TRACE_SLOTS  128


typedef struct {
    ngx_atomic_t                pid;        /* 0: free */
    ngx_atomic_t                started;    /* seconds since the epoch */
    trace_stats_t               stats;
} ngx_http_trace_slot_t;


typedef struct {
    ngx_uint_t                  nslots;
    ngx_http_trace_slot_t       slots[NGX_HTTP_TRACE_SLOTS];
} ngx_http_trace_shm_t;


static ngx_int_t ngx_http_trace_status_zone_init(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_trace_status_handler(ngx_http_request_t *r);
static u_char *ngx_http_trace_status_worker(u_char *p,
    ngx_http_trace_slot_t *slot);


static ngx_str_t  ngx_http_trace_zone_name = ngx_string("nginx_trace_status");
static ngx_http_trace_slot_t  *ngx_http_trace_own_slot;


ngx_int_t
ngx_http_trace_status_zone_add(ngx_conf_t *cf)
{
    ngx_shm_zone_t              *zone;
    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    zone = ngx_shared_memory_add(cf, &ngx_http_trace_zone_name,
                                 sizeof(ngx_http_trace_shm_t) + 16 * ngx_pagesize,
                                 &ngx_http_trace_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_trace_status_zone_init;
    zone->noreuse = 0;
    tmcf->status_zone = zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_trace_status_zone_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t       *shpool;
    ngx_http_trace_shm_t  *shm;

    if (data) {
        zone->data = data;      /* a reload: keep the running workers' slots */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    shm = ngx_slab_calloc(shpool, sizeof(ngx_http_trace_shm_t));
    if (shm == NULL) {
        return NGX_ERROR;
    }

    shm->nslots = NGX_HTTP_TRACE_SLOTS;
    shpool->data = shm;
    zone->data = shm;

    return NGX_OK;
}


/*
 * A worker's counters: a slot of the shared zone, or, when every slot is
 * taken, memory of its own (then the status handler does not show it).
 */

trace_stats_t *
ngx_http_trace_status_claim(ngx_cycle_t *cycle, trace_stats_t *fallback)
{
    ngx_pid_t                    pid;
    ngx_uint_t                   i;
    ngx_http_trace_shm_t        *shm;
    ngx_http_trace_slot_t       *slot;
    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_trace_module);

    if (tmcf == NULL || tmcf->status_zone == NULL
        || tmcf->status_zone->data == NULL)
    {
        return fallback;
    }

    shm = tmcf->status_zone->data;

    for (i = 0; i < shm->nslots; i++) {
        slot = &shm->slots[i];
        pid = (ngx_pid_t) slot->pid;

        /* a slot of a worker that died without releasing it is free too */

        if (pid != 0 && (kill(pid, 0) == 0 || ngx_errno != NGX_ESRCH)) {
            continue;
        }

        if (!ngx_atomic_cmp_set(&slot->pid, (ngx_atomic_uint_t) pid,
                                (ngx_atomic_uint_t) ngx_pid))
        {
            continue;
        }

        ngx_memzero(&slot->stats, sizeof(trace_stats_t));
        slot->started = ngx_time();
        ngx_http_trace_own_slot = slot;

        return &slot->stats;
    }

    ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                  "trace: all %ui status slots are taken; this worker's "
                  "counters are not shown by trace_status", shm->nslots);

    return fallback;
}


void
ngx_http_trace_status_release(void)
{
    if (ngx_http_trace_own_slot != NULL) {
        (void) ngx_atomic_cmp_set(&ngx_http_trace_own_slot->pid,
                                  (ngx_atomic_uint_t) ngx_pid, 0);
        ngx_http_trace_own_slot = NULL;
    }
}


char *
ngx_http_trace_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_trace_main_conf_t  *tmcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_trace_status_handler;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);
    tmcf->status_used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_trace_status_handler(ngx_http_request_t *r)
{
    size_t                       size;
    u_char                      *p;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_uint_t                   i, n;
    ngx_chain_t                  out;
    ngx_http_trace_shm_t        *shm;
    ngx_http_trace_main_conf_t  *tmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);
    shm = tmcf->status_zone ? tmcf->status_zone->data : NULL;
    n = shm ? shm->nslots : 0;

    /* the error text may need 6 bytes per byte when escaped */

    size = sizeof("{\"version\":\"\",\"host\":\"\",\"workers\":[]}\n")
           + sizeof(TRACE_VERSION) + 6 * tmcf->host.len
           + n * (720 + 6 * sizeof(((trace_stats_t *) 0)->last_error));

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(b->last, "{\"version\":\"%s\",\"host\":\"", TRACE_VERSION);
    p = (u_char *) ngx_escape_json(p, tmcf->host.data, tmcf->host.len);
    p = ngx_cpymem(p, "\",\"workers\":[", sizeof("\",\"workers\":[") - 1);

    for (i = 0; i < n; i++) {
        if (shm->slots[i].pid == 0) {
            continue;
        }

        if (p[-1] == '}') {
            *p++ = ',';
        }

        p = ngx_http_trace_status_worker(p, &shm->slots[i]);
    }

    p = ngx_cpymem(p, "]}\n", 3);
    b->last = p;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_trace_status_worker(u_char *p, ngx_http_trace_slot_t *slot)
{
    char            error[sizeof(((trace_stats_t *) 0)->last_error)];
    size_t          len;
    const char     *spool;
    trace_stats_t  *s;

    s = &slot->stats;

    len = trace_stats_read_error(s, error, sizeof(error));

    switch (trace_stats_get(&s->spool_state)) {
    case TRACE_SPOOL_USABLE:
        spool = "true";
        break;
    case TRACE_SPOOL_UNUSABLE:
        spool = "false";
        break;
    default:
        spool = "null";     /* no trace_spool */
    }

    p = ngx_sprintf(p,
            "{\"pid\":%uA,\"started\":%uA,\"connected\":%s,"
            "\"queued_rows\":%uL,\"queued_bytes\":%uL,"
            "\"sent_rows\":%uL,\"sent_batches\":%uL,"
            "\"duplicate_batches\":%uL,\"spooled_rows\":%uL,"
            "\"replayed_rows\":%uL,\"rejected_rows\":%uL,"
            "\"dropped_rows\":%uL,\"spool_bytes\":%uL,\"spool_usable\":%s,"
            "\"last_error_time\":%uL,\"last_error\":\"",
            slot->pid, slot->started,
            trace_stats_get(&s->connected) ? "true" : "false",
            trace_stats_get(&s->queued_rows), trace_stats_get(&s->queued_bytes),
            trace_stats_get(&s->sent_rows), trace_stats_get(&s->sent_batches),
            trace_stats_get(&s->duplicate_batches),
            trace_stats_get(&s->spooled_rows),
            trace_stats_get(&s->replayed_rows),
            trace_stats_get(&s->rejected_rows),
            trace_stats_get(&s->dropped_rows),
            trace_stats_get(&s->spool_bytes), spool,
            trace_stats_get(&s->last_error_time));

    p = (u_char *) ngx_escape_json(p, (u_char *) error, len);

    return ngx_cpymem(p, "\"}", 2);
}
