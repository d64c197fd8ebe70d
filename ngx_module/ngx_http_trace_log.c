/*
 * nginx-trace: the request's life. Its start is noted in the post-read phase
 * (microseconds; nginx itself keeps milliseconds), and in the log phase the
 * request is checked against the location's rules and handed to the core,
 * as a request row (trace) and as audit events (trace_audit).
 */

#include "ngx_http_trace_module.h"

#include <sys/random.h>


static void ngx_http_trace_ctx_cleanup(void *data);
static int64_t ngx_http_trace_now_us(void);
static ngx_int_t ngx_http_trace_excluded(ngx_array_t *exclude, trace_str_t *path);
static void ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp);


ngx_int_t
ngx_http_trace_post_read_handler(ngx_http_request_t *r)
{
    (void) ngx_http_trace_get_ctx(r, 1);

    return NGX_DECLINED;
}


/*
 * The context lives in a pool cleanup as well, so that it survives the reset
 * of module contexts by an internal redirect (error_page), as realip does.
 */

ngx_http_trace_ctx_t *
ngx_http_trace_get_ctx(ngx_http_request_t *r, ngx_uint_t create)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_trace_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_trace_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_trace_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_trace_module);
                break;
            }
        }
    }

    if (ctx != NULL || !create) {
        return ctx;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_trace_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ctx->start_us = ngx_http_trace_now_us();
    ctx->header_events = NULL;
    ctx->request_id_made = 0;

    cln->handler = ngx_http_trace_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_trace_module);

    return ctx;
}


static void
ngx_http_trace_ctx_cleanup(void *data)
{
    /* nothing to free: the handler only marks the context */
}


ngx_int_t
ngx_http_trace_log_handler(ngx_http_request_t *r)
{
    trace_exporter_t           *exp;
    ngx_http_trace_loc_conf_t  *tlcf;

    /* a subrequest (log_subrequest on) is part of its main request's row */

    if (r != r->main) {
        return NGX_OK;
    }

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_trace_module);

    if (!tlcf->enable && !tlcf->audit) {
        return NGX_OK;
    }

    exp = ngx_http_trace_exporter();
    if (exp == NULL) {
        return NGX_OK;
    }

    if (tlcf->enable) {
        ngx_http_trace_record_request(r, tlcf, exp);
    }

    /* audit events are never hidden by trace_exclude or the user rule */

    if (tlcf->audit) {
        ngx_http_trace_record_audit(r, tlcf, exp);
    }

    ngx_http_trace_schedule_flush();

    return NGX_OK;
}


static void
ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp)
{
    trace_str_t                 path;
    trace_request_t             rec;
    ngx_http_core_srv_conf_t   *cscf;

    ngx_http_trace_path(r, &path);

    if (tlcf->exclude != NULL && ngx_http_trace_excluded(tlcf->exclude, &path)) {
        return;
    }

    ngx_memzero(&rec, sizeof(trace_request_t));

    ngx_http_trace_value(r, tlcf->user, &rec.user);

    if (tlcf->session != NULL) {
        ngx_http_trace_value(r, tlcf->session, &rec.session);

        /* no user of its own: the one who logged in to its session, if known */

        if (rec.session.len) {
            rec.session_hash = (const char *) ngx_http_trace_hash_session(
                                                            r, &rec.session);
            if (rec.user.len == 0 && rec.session_hash != NULL) {
                (void) ngx_http_trace_session_user(r,
                                        (u_char *) rec.session_hash, &rec.user);
            }
        }
    }

    if (tlcf->only_authenticated && rec.user.len == 0) {
        return;
    }

    ngx_http_trace_request_id(r, tlcf, &rec.request_id);

    rec.start_us = ngx_http_trace_start_us(r);
    rec.duration_us = ngx_http_trace_now_us() - rec.start_us;

    if (r->headers_in.server.len) {
        ngx_http_trace_str(&rec.server_name, &r->headers_in.server);

    } else {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

        if (cscf->server_name.len) {
            ngx_http_trace_str(&rec.server_name, &cscf->server_name);
        }
    }

    if (r->method_name.len) {
        ngx_http_trace_str(&rec.method, &r->method_name);
    }

    if (r->unparsed_uri.len) {
        ngx_http_trace_str(&rec.uri, &r->unparsed_uri);
    }

    rec.status = (int) ngx_http_trace_status_code(r);

    ngx_http_trace_str(&rec.client_addr, &r->connection->addr_text);
    rec.bytes_sent = r->connection->sent;

    if (r->headers_in.user_agent) {
        ngx_http_trace_str(&rec.user_agent, &r->headers_in.user_agent->value);
    }

    rec.redactor = tlcf->redactor;

    (void) trace_exporter_add_request(exp, &rec);
}


/* The path as the client sent it, before any rewrite or redirect, without ?query. */

void
ngx_http_trace_path(ngx_http_request_t *r, trace_str_t *path)
{
    u_char  *question;

    path->data = r->unparsed_uri.data;
    path->len = r->unparsed_uri.len;

    if (path->data == NULL || path->len == 0) {
        path->data = NULL;
        path->len = 0;
        return;
    }

    question = ngx_strlchr((u_char *) path->data, (u_char *) path->data + path->len,
                           '?');
    if (question != NULL) {
        path->len = question - path->data;
    }
}


/* The status as nginx's access log computes it. */

ngx_uint_t
ngx_http_trace_status_code(ngx_http_request_t *r)
{
    if (r->err_status) {
        return r->err_status;
    }

    if (r->headers_out.status) {
        return r->headers_out.status;
    }

    if (r->http_version == NGX_HTTP_VERSION_9) {
        return 9;
    }

    return 0;
}


int64_t
ngx_http_trace_start_us(ngx_http_request_t *r)
{
    ngx_http_trace_ctx_t  *ctx;

    ctx = ngx_http_trace_get_ctx(r, 0);

    if (ctx != NULL) {
        return ctx->start_us;
    }

    /* rejected before the post-read phase, e.g. a bad request line */

    return (int64_t) r->start_sec * 1000000 + (int64_t) r->start_msec * 1000;
}


static ngx_int_t
ngx_http_trace_excluded(ngx_array_t *exclude, trace_str_t *path)
{
    ngx_uint_t      i;
    trace_regex_t **re;

    re = exclude->elts;

    for (i = 0; i < exclude->nelts; i++) {
        if (trace_regex_match(re[i], path->data, path->len)) {
            return 1;
        }
    }

    return 0;
}


static int64_t
ngx_http_trace_now_us(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


void
ngx_http_trace_str(trace_str_t *dst, ngx_str_t *src)
{
    dst->data = src->data ? src->data : (u_char *) "";
    dst->len = src->len;
}


void
ngx_http_trace_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    trace_str_t *dst)
{
    ngx_str_t  value;

    if (ngx_http_complex_value(r, cv, &value) != NGX_OK) {
        value.len = 0;
        value.data = NULL;
    }

    ngx_http_trace_str(dst, &value);
}


/*
 * The request id of a row. By default it is nginx's $request_id when the
 * request has one already (an access_log format or proxy_set_header used it),
 * so that the ids match; else the module makes one of the same form, 32 hex
 * digits: a random number of the worker, then a count. nginx's own costs an
 * OpenSSL random draw per request, several times the rest of the log phase.
 */

static u_char    ngx_http_trace_id_prefix[16];
static uint64_t  ngx_http_trace_id_count;


void
ngx_http_trace_request_id_init(void)
{
    uint64_t  r;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t) sizeof(r)) {
        r = (uint64_t) ngx_pid << 32 ^ (uint64_t) ngx_time() ^ (uintptr_t) &r;
    }

    ngx_sprintf(ngx_http_trace_id_prefix, "%016uxL", r);
}


void
ngx_http_trace_request_id(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_str_t *id)
{
    u_char                      *p;
    ngx_http_trace_ctx_t        *ctx;
    ngx_http_variable_value_t   *vv;
    ngx_http_trace_main_conf_t  *tmcf;

    if (tlcf->request_id != NULL) {
        ngx_http_trace_value(r, tlcf->request_id, id);
        return;
    }

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);
    vv = &r->variables[tmcf->request_id_index];

    if (vv->valid && !vv->not_found) {
        id->data = vv->data;
        id->len = vv->len;
        return;
    }

    /* one id per request: its row and its audit events share it */

    ctx = ngx_http_trace_get_ctx(r, 0);

    if (ctx != NULL && ctx->request_id_made) {
        id->data = ctx->request_id;
        id->len = sizeof(ctx->request_id);
        return;
    }

    p = ctx ? ctx->request_id : ngx_pnalloc(r->pool, 32);
    if (p == NULL) {
        id->data = NULL;
        id->len = 0;
        return;
    }

    ngx_memcpy(p, ngx_http_trace_id_prefix, 16);
    ngx_sprintf(p + 16, "%016uxL", ++ngx_http_trace_id_count);

    if (ctx) {
        ctx->request_id_made = 1;
    }

    id->data = p;
    id->len = 32;
}
