/*
 * nginx-trace: the request's life. Its start is noted in the post-read phase
 * (microseconds; nginx itself keeps milliseconds), and in the log phase the
 * request is checked against the location's rules and handed to the core.
 */

#include "ngx_http_trace_module.h"


typedef struct {
    int64_t                     start_us;
} ngx_http_trace_ctx_t;


static ngx_http_trace_ctx_t *ngx_http_trace_get_ctx(ngx_http_request_t *r);
static void ngx_http_trace_ctx_cleanup(void *data);
static int64_t ngx_http_trace_now_us(void);
static ngx_int_t ngx_http_trace_excluded(ngx_array_t *exclude, u_char *path,
    size_t len);
static void ngx_http_trace_str(trace_str_t *dst, ngx_str_t *src);
static void ngx_http_trace_value(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, trace_str_t *dst);


ngx_int_t
ngx_http_trace_post_read_handler(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_trace_ctx_t  *ctx;

    if (ngx_http_trace_get_ctx(r) != NULL) {
        return NGX_DECLINED;
    }

    /*
     * The context lives in a pool cleanup as well, so that it survives the
     * reset of module contexts by an internal redirect (error_page).
     */

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_trace_ctx_t));
    if (cln == NULL) {
        return NGX_DECLINED;
    }

    ctx = cln->data;
    ctx->start_us = ngx_http_trace_now_us();

    cln->handler = ngx_http_trace_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_trace_module);

    return NGX_DECLINED;
}


static ngx_http_trace_ctx_t *
ngx_http_trace_get_ctx(ngx_http_request_t *r)
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
    u_char                     *uri, *question;
    size_t                      path_len;
    int64_t                     now_us;
    trace_request_t             rec;
    trace_exporter_t           *exp;
    ngx_http_trace_ctx_t       *ctx;
    ngx_http_core_srv_conf_t   *cscf;
    ngx_http_trace_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_trace_module);

    if (!tlcf->enable || r != r->main) {
        return NGX_OK;
    }

    exp = ngx_http_trace_exporter();
    if (exp == NULL) {
        return NGX_OK;
    }

    /* the path as the client sent it, before any rewrite or redirect */

    uri = r->unparsed_uri.data;
    path_len = r->unparsed_uri.len;

    if (uri != NULL) {
        question = ngx_strlchr(uri, uri + path_len, '?');
        if (question != NULL) {
            path_len = question - uri;
        }
    }

    if (tlcf->exclude != NULL
        && ngx_http_trace_excluded(tlcf->exclude, uri, path_len))
    {
        return NGX_OK;
    }

    ngx_memzero(&rec, sizeof(trace_request_t));

    ngx_http_trace_value(r, tlcf->user, &rec.user);

    if (tlcf->only_authenticated && rec.user.len == 0) {
        return NGX_OK;
    }

    if (tlcf->session != NULL) {
        ngx_http_trace_value(r, tlcf->session, &rec.session);
    }

    ngx_http_trace_value(r, tlcf->request_id, &rec.request_id);

    now_us = ngx_http_trace_now_us();
    ctx = ngx_http_trace_get_ctx(r);

    if (ctx != NULL) {
        rec.start_us = ctx->start_us;

    } else {
        /* rejected before the post-read phase, e.g. a bad request line */
        rec.start_us = (int64_t) r->start_sec * 1000000
                       + (int64_t) r->start_msec * 1000;
    }

    rec.duration_us = now_us - rec.start_us;

    if (r->headers_in.server.len) {
        ngx_http_trace_str(&rec.server_name, &r->headers_in.server);

    } else {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
        ngx_http_trace_str(&rec.server_name, &cscf->server_name);
    }

    if (r->method_name.len) {
        ngx_http_trace_str(&rec.method, &r->method_name);
    }

    if (uri != NULL && r->unparsed_uri.len) {
        ngx_http_trace_str(&rec.uri, &r->unparsed_uri);
    }

    /* the status as nginx's access log computes it */

    if (r->err_status) {
        rec.status = r->err_status;

    } else if (r->headers_out.status) {
        rec.status = r->headers_out.status;

    } else if (r->http_version == NGX_HTTP_VERSION_9) {
        rec.status = 9;
    }

    ngx_http_trace_str(&rec.client_addr, &r->connection->addr_text);
    rec.bytes_sent = r->connection->sent;

    if (r->headers_in.user_agent) {
        ngx_http_trace_str(&rec.user_agent, &r->headers_in.user_agent->value);
    }

    rec.redactor = tlcf->redactor;

    (void) trace_exporter_add_request(exp, &rec);

    ngx_http_trace_schedule_flush();

    return NGX_OK;
}


static ngx_int_t
ngx_http_trace_excluded(ngx_array_t *exclude, u_char *path, size_t len)
{
    ngx_uint_t      i;
    trace_regex_t **re;

    re = exclude->elts;

    for (i = 0; i < exclude->nelts; i++) {
        if (trace_regex_match(re[i], path, len)) {
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


static void
ngx_http_trace_str(trace_str_t *dst, ngx_str_t *src)
{
    dst->data = src->data ? src->data : (u_char *) "";
    dst->len = src->len;
}


static void
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
