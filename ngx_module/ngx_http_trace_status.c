/*
 * nginx-trace: the exporters' counters in shared memory, one slot per worker
 * process, and the trace_status handler that shows them all, the way
 * stub_status shows connections: as JSON, or in the Prometheus text format
 * (0.0.4) to a scraper that asks for it in its Accept header. Slots outlive
 * reloads: old workers draining and new workers serving each hold their own,
 * and whichever worker answers shows every slot.
 */

#include "ngx_http_trace_status.h"
#include "ngx_http_trace_request.h"


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
static ngx_buf_t *ngx_http_trace_status_json(ngx_http_request_t *r,
    ngx_http_trace_main_conf_t *tmcf, ngx_http_trace_shm_t *shm);
static u_char *ngx_http_trace_status_worker(u_char *p,
    ngx_http_trace_slot_t *slot);
static ngx_uint_t ngx_http_trace_status_wants_prometheus(
    ngx_http_request_t *r);
static void ngx_http_trace_status_accept(u_char *p, u_char *end,
    ngx_int_t *prometheus, ngx_int_t *json);
static ngx_int_t ngx_http_trace_status_q(u_char *p, size_t len);
static ngx_buf_t *ngx_http_trace_status_prometheus(ngx_http_request_t *r,
    ngx_http_trace_main_conf_t *tmcf, ngx_http_trace_shm_t *shm);
static u_char *ngx_http_trace_status_family(u_char *p, const char *name,
    const char *type, const char *help);
static u_char *ngx_http_trace_status_label(u_char *p, u_char *src,
    size_t len);
static size_t ngx_http_trace_status_utf8(u_char *p, u_char *end);


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
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                  out;
    ngx_table_elt_t             *h;
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

    if (ngx_http_trace_status_wants_prometheus(r)) {
        b = ngx_http_trace_status_prometheus(r, tmcf, shm);
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        b = ngx_http_trace_status_json(r, tmcf, shm);
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the answer depends on Accept: a cache must not give one for the other */

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Vary");
    ngx_str_set(&h->value, "Accept");

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
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


/* {"version":...,"host":...,"workers":[{...},...]} */

static ngx_buf_t *
ngx_http_trace_status_json(ngx_http_request_t *r,
    ngx_http_trace_main_conf_t *tmcf, ngx_http_trace_shm_t *shm)
{
    size_t       size;
    u_char      *p;
    ngx_buf_t   *b;
    ngx_uint_t   i, n;

    n = shm ? shm->nslots : 0;

    /* the error text may need 6 bytes per byte when escaped */

    size = sizeof("{\"version\":\"\",\"host\":\"\",\"workers\":[]}\n")
           + sizeof(TRACE_VERSION) + 6 * tmcf->host.len
           + n * (720 + 6 * sizeof(((trace_stats_t *) 0)->last_error));

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NULL;
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

    return b;
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


/*
 * The Prometheus text format, version 0.0.4. Asked for in the Accept header
 * (see ngx_http_trace_status_wants_prometheus()); the same counters as the
 * JSON, each JSON field a metric of its own, one sample per worker with its
 * pid as the label, so that one scrape of any worker shows every worker.
 */

#define NGX_HTTP_TRACE_STARTED  ((size_t) -1)  /* the slot's, not a counter */


typedef struct {
    const char                 *name;
    const char                 *type;
    const char                 *help;
    size_t                      offset;     /* in trace_stats_t */
} ngx_http_trace_metric_t;


/* In the JSON's order; the README's table maps each to its JSON field. */

static ngx_http_trace_metric_t  ngx_http_trace_metrics[] = {

    { "nginx_trace_worker_start_time_seconds", "gauge",
      "When the worker started, in seconds since the epoch (JSON: started).",
      NGX_HTTP_TRACE_STARTED },

    { "nginx_trace_connected", "gauge",
      "1 while the worker's connection to PostgreSQL is up, else 0 "
      "(JSON: connected).",
      offsetof(trace_stats_t, connected) },

    { "nginx_trace_queued_rows", "gauge",
      "Rows in the worker's memory now, waiting to be sent "
      "(JSON: queued_rows).",
      offsetof(trace_stats_t, queued_rows) },

    { "nginx_trace_queued_bytes", "gauge",
      "Bytes of the rows in the worker's memory now (JSON: queued_bytes).",
      offsetof(trace_stats_t, queued_bytes) },

    { "nginx_trace_sent_rows_total", "counter",
      "Rows committed to PostgreSQL, replayed rows included, since the worker "
      "started (JSON: sent_rows).",
      offsetof(trace_stats_t, sent_rows) },

    { "nginx_trace_sent_batches_total", "counter",
      "Batches committed to PostgreSQL since the worker started "
      "(JSON: sent_batches).",
      offsetof(trace_stats_t, sent_batches) },

    { "nginx_trace_duplicate_batches_total", "counter",
      "Retried batches found already committed, and skipped "
      "(JSON: duplicate_batches).",
      offsetof(trace_stats_t, duplicate_batches) },

    { "nginx_trace_spooled_rows_total", "counter",
      "Rows written to the spool (JSON: spooled_rows).",
      offsetof(trace_stats_t, spooled_rows) },

    { "nginx_trace_replayed_rows_total", "counter",
      "Rows committed from the spool (JSON: replayed_rows).",
      offsetof(trace_stats_t, replayed_rows) },

    { "nginx_trace_rejected_rows_total", "counter",
      "Rows the database refused, kept in trace.rejected "
      "(JSON: rejected_rows).",
      offsetof(trace_stats_t, rejected_rows) },

    { "nginx_trace_dropped_rows_total", "counter",
      "Rows lost because memory and spool were full (JSON: dropped_rows).",
      offsetof(trace_stats_t, dropped_rows) },

    { "nginx_trace_spool_bytes", "gauge",
      "Bytes of spool files in the spool directory, which the workers share, "
      "as this worker last saw it (JSON: spool_bytes).",
      offsetof(trace_stats_t, spool_bytes) },

    { "nginx_trace_last_error_time_seconds", "gauge",
      "When the worker's last database error happened, in seconds since the "
      "epoch; 0: none yet (JSON: last_error_time).",
      offsetof(trace_stats_t, last_error_time) }
};

#define NGX_HTTP_TRACE_NMETRICS                                               \
    (sizeof(ngx_http_trace_metrics) / sizeof(ngx_http_trace_metrics[0]))


/* One worker's slot, read once, so that every family shows the same workers. */

typedef struct {
    ngx_pid_t                   pid;
    uint64_t                    value[NGX_HTTP_TRACE_NMETRICS];
    size_t                      error_len;
    char                        error[sizeof(((trace_stats_t *) 0)->last_error)];
} ngx_http_trace_snapshot_t;


#define NGX_HTTP_TRACE_INFO_NAME        "nginx_trace_info"
#define NGX_HTTP_TRACE_INFO_HELP                                              \
    "The module's version and trace_host, as the worker that answered has "   \
    "them (JSON: version, host); value 1."
#define NGX_HTTP_TRACE_WORKERS_NAME     "nginx_trace_workers"
#define NGX_HTTP_TRACE_WORKERS_HELP                                           \
    "Workers whose counters this answer shows: every live one, old workers "  \
    "draining after a reload included (JSON: the workers array)."
#define NGX_HTTP_TRACE_ERROR_NAME       "nginx_trace_last_error_info"
#define NGX_HTTP_TRACE_ERROR_HELP                                             \
    "The worker's last database error, in the error label; value 1, for a "   \
    "worker that had one (JSON: last_error)."


/*
 * Whether the Accept header(s) ask for the Prometheus text format: a media
 * range text/plain with a version parameter (Prometheus, and the scrapers
 * that follow it, send text/plain;version=0.0.4; Prometheus 3 also 1.0.0, of
 * which 0.0.4 is a part) or application/openmetrics-text (which Prometheus
 * sends beside text/plain;version=0.0.4, and reads the answer by its
 * Content-Type), with a q above 0 and above that of application/json.
 * Anything else (no Accept, a wildcard, a browser's, application/json) gets JSON.
 */

static ngx_uint_t
ngx_http_trace_status_wants_prometheus(ngx_http_request_t *r)
{
    ngx_int_t                  prometheus, json;
    ngx_table_elt_t           *h;
    ngx_http_trace_headers_t   it;

    static ngx_str_t  accept = ngx_string("Accept");

    prometheus = -1;
    json = -1;

    ngx_http_trace_headers_init(&it, &r->headers_in.headers);

    while ((h = ngx_http_trace_headers_next(&it, &accept)) != NULL) {
        ngx_http_trace_status_accept(h->value.data,
                                     h->value.data + h->value.len,
                                     &prometheus, &json);
    }

    return prometheus > 0 && prometheus > json;
}


#define ngx_http_trace_is_ows(c)  ((c) == ' ' || (c) == '\t')

#define ngx_http_trace_media_is(type, len, s)                                 \
    ((len) == sizeof(s) - 1                                                   \
     && ngx_strncasecmp(type, (u_char *) s, sizeof(s) - 1) == 0)


/*
 * One Accept value: media ranges TYPE/SUBTYPE[;NAME=VALUE]..., separated by
 * commas; a VALUE may be a quoted string. The best q (0 to 1000) of the
 * Prometheus ranges and of application/json go into *prometheus and *json,
 * where they are higher than what is there.
 */

static void
ngx_http_trace_status_accept(u_char *p, u_char *end, ngx_int_t *prometheus,
    ngx_int_t *json)
{
    u_char      *type, *name, *value;
    size_t       type_len, name_len, value_len;
    ngx_int_t    q;
    ngx_uint_t   version;

    while (p < end) {

        while (p < end && (ngx_http_trace_is_ows(*p) || *p == ',')) {
            p++;
        }

        type = p;

        while (p < end && *p != ';' && *p != ','
               && !ngx_http_trace_is_ows(*p))
        {
            p++;
        }

        type_len = p - type;
        q = 1000;
        version = 0;

        for ( ;; ) {

            while (p < end && ngx_http_trace_is_ows(*p)) {
                p++;
            }

            if (p == end || *p != ';') {
                break;
            }

            p++;

            while (p < end && ngx_http_trace_is_ows(*p)) {
                p++;
            }

            name = p;

            while (p < end && *p != '=' && *p != ';' && *p != ','
                   && !ngx_http_trace_is_ows(*p))
            {
                p++;
            }

            name_len = p - name;

            while (p < end && ngx_http_trace_is_ows(*p)) {
                p++;
            }

            value = p;
            value_len = 0;

            if (p < end && *p == '=') {
                p++;

                while (p < end && ngx_http_trace_is_ows(*p)) {
                    p++;
                }

                if (p < end && *p == '"') {
                    value = ++p;

                    while (p < end && *p != '"') {
                        p += (*p == '\\' && p + 1 < end) ? 2 : 1;
                    }

                    value_len = p - value;

                    if (p < end) {
                        p++;
                    }

                } else {
                    value = p;

                    while (p < end && *p != ';' && *p != ','
                           && !ngx_http_trace_is_ows(*p))
                    {
                        p++;
                    }

                    value_len = p - value;
                }
            }

            if (name_len == 1 && (*name == 'q' || *name == 'Q')) {
                q = ngx_http_trace_status_q(value, value_len);

            } else if (ngx_http_trace_media_is(name, name_len, "version")) {
                version = 1;
            }
        }

        /* whatever else stands before the next range is not understood */

        while (p < end && *p != ',') {
            p++;
        }

        if ((ngx_http_trace_media_is(type, type_len, "text/plain") && version)
            || ngx_http_trace_media_is(type, type_len,
                                       "application/openmetrics-text"))
        {
            *prometheus = ngx_max(*prometheus, q);

        } else if (ngx_http_trace_media_is(type, type_len, "application/json"))
        {
            *json = ngx_max(*json, q);
        }
    }
}


/* A q value, "0" to "1", "0.5", "0.125", in thousandths; -1 if malformed. */

static ngx_int_t
ngx_http_trace_status_q(u_char *p, size_t len)
{
    ngx_int_t   q, scale;
    ngx_uint_t  i;

    if (len == 0 || (p[0] != '0' && p[0] != '1')) {
        return -1;
    }

    q = (p[0] - '0') * 1000;

    if (len == 1) {
        return q;
    }

    if (p[1] != '.' || len > 5) {
        return -1;
    }

    for (i = 2, scale = 100; i < len; i++, scale /= 10) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        q += (p[i] - '0') * scale;
    }

    return ngx_min(q, 1000);
}


static ngx_buf_t *
ngx_http_trace_status_prometheus(ngx_http_request_t *r,
    ngx_http_trace_main_conf_t *tmcf, ngx_http_trace_shm_t *shm)
{
    size_t                      size;
    u_char                     *p;
    uint64_t                    v;
    ngx_buf_t                  *b;
    ngx_uint_t                  i, k, n, nworkers, nerrors;
    ngx_http_trace_slot_t      *slot;
    ngx_http_trace_metric_t    *m;
    ngx_http_trace_snapshot_t  *snap, *w;

    n = shm ? shm->nslots : 0;
    nworkers = 0;
    nerrors = 0;
    snap = NULL;

    if (n) {
        snap = ngx_palloc(r->pool, n * sizeof(ngx_http_trace_snapshot_t));
        if (snap == NULL) {
            return NULL;
        }
    }

    for (i = 0; i < n; i++) {
        slot = &shm->slots[i];
        w = &snap[nworkers];

        w->pid = (ngx_pid_t) slot->pid;

        if (w->pid == 0) {
            continue;
        }

        for (k = 0; k < NGX_HTTP_TRACE_NMETRICS; k++) {
            m = &ngx_http_trace_metrics[k];

            w->value[k] = (m->offset == NGX_HTTP_TRACE_STARTED)
                          ? (uint64_t) slot->started
                          : trace_stats_get((uint64_t *)
                                            ((u_char *) &slot->stats
                                             + m->offset));
        }

        w->error_len = trace_stats_read_error(&slot->stats, w->error,
                                              sizeof(w->error));

        /* a worker that exited meanwhile, its slot maybe another's now */

        if ((ngx_pid_t) slot->pid != w->pid) {
            continue;
        }

        nerrors += (w->error_len > 0);
        nworkers++;
    }

    /* each family's HELP and TYPE, a line per worker, escaped labels at 3x */

    size = 0;

    for (k = 0; k < NGX_HTTP_TRACE_NMETRICS; k++) {
        m = &ngx_http_trace_metrics[k];

        size += sizeof("# HELP  \n# TYPE  \n") + 2 * ngx_strlen(m->name)
                + ngx_strlen(m->help) + ngx_strlen(m->type)
                + nworkers * (ngx_strlen(m->name) + sizeof("{pid=\"\"} \n")
                              + 2 * NGX_INT64_LEN);
    }

    size += sizeof("# HELP  \n# TYPE  gauge\n") * 3
            + 2 * sizeof(NGX_HTTP_TRACE_INFO_NAME)
            + sizeof(NGX_HTTP_TRACE_INFO_HELP)
            + sizeof(NGX_HTTP_TRACE_INFO_NAME "{version=\"\",host=\"\"} 1\n")
            + 3 * sizeof(TRACE_VERSION) + 3 * tmcf->host.len
            + 3 * sizeof(NGX_HTTP_TRACE_WORKERS_NAME)
            + sizeof(NGX_HTTP_TRACE_WORKERS_HELP) + NGX_INT64_LEN
            + 2 * sizeof(NGX_HTTP_TRACE_ERROR_NAME)
            + sizeof(NGX_HTTP_TRACE_ERROR_HELP)
            + nerrors * (sizeof(NGX_HTTP_TRACE_ERROR_NAME
                                "{pid=\"\",error=\"\"} 1\n")
                         + NGX_INT64_LEN
                         + 3 * sizeof(((trace_stats_t *) 0)->last_error));

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_http_trace_status_family(b->last, NGX_HTTP_TRACE_INFO_NAME,
                                     "gauge", NGX_HTTP_TRACE_INFO_HELP);
    p = ngx_cpymem(p, NGX_HTTP_TRACE_INFO_NAME "{version=\"",
                   sizeof(NGX_HTTP_TRACE_INFO_NAME "{version=\"") - 1);
    p = ngx_http_trace_status_label(p, (u_char *) TRACE_VERSION,
                                    sizeof(TRACE_VERSION) - 1);
    p = ngx_cpymem(p, "\",host=\"", sizeof("\",host=\"") - 1);
    p = ngx_http_trace_status_label(p, tmcf->host.data, tmcf->host.len);
    p = ngx_cpymem(p, "\"} 1\n", sizeof("\"} 1\n") - 1);

    p = ngx_http_trace_status_family(p, NGX_HTTP_TRACE_WORKERS_NAME, "gauge",
                                     NGX_HTTP_TRACE_WORKERS_HELP);
    p = ngx_sprintf(p, NGX_HTTP_TRACE_WORKERS_NAME " %ui\n", nworkers);

    for (k = 0; k < NGX_HTTP_TRACE_NMETRICS; k++) {
        m = &ngx_http_trace_metrics[k];

        p = ngx_http_trace_status_family(p, m->name, m->type, m->help);

        for (i = 0; i < nworkers; i++) {
            v = snap[i].value[k];
            p = ngx_sprintf(p, "%s{pid=\"%P\"} %uL\n", m->name, snap[i].pid, v);
        }
    }

    p = ngx_http_trace_status_family(p, NGX_HTTP_TRACE_ERROR_NAME, "gauge",
                                     NGX_HTTP_TRACE_ERROR_HELP);

    for (i = 0; i < nworkers; i++) {
        if (snap[i].error_len == 0) {
            continue;
        }

        p = ngx_sprintf(p, NGX_HTTP_TRACE_ERROR_NAME "{pid=\"%P\",error=\"",
                        snap[i].pid);
        p = ngx_http_trace_status_label(p, (u_char *) snap[i].error,
                                        snap[i].error_len);
        p = ngx_cpymem(p, "\"} 1\n", sizeof("\"} 1\n") - 1);
    }

    b->last = p;

    return b;
}


/* "# HELP NAME HELP\n# TYPE NAME TYPE\n"; the help texts need no escaping. */

static u_char *
ngx_http_trace_status_family(u_char *p, const char *name, const char *type,
    const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}


/*
 * A label value as the format wants it: backslash, double quote and line
 * feed escaped, and UTF-8 throughout, each byte that is not part of a
 * well-formed sequence replaced by U+FFFD (a last error cut at 255 bytes may
 * end in half a character). At most 3 bytes out for each byte in.
 */

static u_char *
ngx_http_trace_status_label(u_char *p, u_char *src, size_t len)
{
    u_char  *end;
    size_t   n;

    end = src + len;

    while (src < end) {

        if (*src < 0x80) {
            switch (*src) {
            case '\\':
            case '"':
                *p++ = '\\';
                *p++ = *src;
                break;
            case '\n':
                *p++ = '\\';
                *p++ = 'n';
                break;
            default:
                *p++ = *src;
            }

            src++;
            continue;
        }

        n = ngx_http_trace_status_utf8(src, end);

        if (n == 0) {
            p = ngx_cpymem(p, "\xef\xbf\xbd", 3);
            src++;
            continue;
        }

        p = ngx_cpymem(p, src, n);
        src += n;
    }

    return p;
}


/*
 * The length of the well-formed UTF-8 sequence of 2 to 4 bytes at p (the
 * Unicode standard's table 3-7: no overlong forms, no surrogates, nothing
 * above U+10FFFF), 0 if there is none.
 */

static size_t
ngx_http_trace_status_utf8(u_char *p, u_char *end)
{
    u_char  lo, hi;
    size_t  n, i;

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        lo = (p[0] == 0xe0) ? 0xa0 : 0x80;
        hi = (p[0] == 0xed) ? 0x9f : 0xbf;

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        lo = (p[0] == 0xf0) ? 0x90 : 0x80;
        hi = (p[0] == 0xf4) ? 0x8f : 0xbf;

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}
