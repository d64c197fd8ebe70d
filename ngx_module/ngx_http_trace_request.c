/*
 * nginx-trace: the hub of a request's life. Its start is noted in the
 * post-read phase (microseconds; nginx itself keeps milliseconds); the phase
 * files and subsystems read the request through the accessors below.
 */

#include "ngx_http_trace_request.h"

#include <sys/random.h>


static void ngx_http_trace_ctx_cleanup(void *data);
static u_char *ngx_http_trace_target_end(u_char *target, u_char *end);


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


int64_t
ngx_http_trace_now_us(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/* The path as the client sent it, before any rewrite or redirect, without ?query. */

void
ngx_http_trace_path(ngx_http_request_t *r, trace_str_t *path)
{
    trace_str_t  uri;

    uri.data = r->unparsed_uri.data;
    uri.len = r->unparsed_uri.len;

    ngx_http_trace_uri_path(&uri, path);
}


/* The path of a target: before the first '?'; none for an empty target. */

void
ngx_http_trace_uri_path(trace_str_t *uri, trace_str_t *path)
{
    u_char  *question;

    *path = *uri;

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


/*
 * Whether nginx itself rejected the request while it read the request line or
 * the header (400 for /a%00b, /../x or a control byte, 408, 414, 494, 505, no
 * Host): such a request is finalized before the post-read phase, which makes
 * the context of every request that nginx goes on to process.
 */

ngx_uint_t
ngx_http_trace_rejected(ngx_http_request_t *r)
{
    return ngx_http_trace_get_ctx(r, 0) == NULL;
}


/*
 * What the client sent as the target of a rejected request, and the method
 * when nginx had read it. nginx fills unparsed_uri only once it has accepted
 * the target; before that the request line is still in header_in, from
 * request_start, as it came: up to the first LF when the line ended, else up
 * to what nginx holds of it (a line longer than its buffer: 414; or one the
 * client never finished: 400, 408), and then *cut is set. The target is what
 * follows the method and its spaces, up to the space before " HTTP/"; without
 * a method nginx could read (a TLS handshake on a plain port, say), the whole
 * line.
 */

void
ngx_http_trace_rejected_target(ngx_http_request_t *r, trace_str_t *method,
    trace_str_t *target, ngx_uint_t *cut)
{
    u_char     *start, *end, *p, *lf;
    ngx_buf_t  *b;

    method->data = NULL;
    method->len = 0;
    target->data = NULL;
    target->len = 0;
    *cut = 0;

    if (r->method_name.len) {
        ngx_http_trace_str(method, &r->method_name);
    }

    if (r->unparsed_uri.data != NULL) {
        ngx_http_trace_str(target, &r->unparsed_uri);
        return;
    }

    b = r->header_in;
    start = r->request_start;

    /* HTTP/2 builds no request line to read; and only bytes nginx holds */

    if (b == NULL || start == NULL || start < b->start || start > b->last) {
        return;
    }

    lf = ngx_strlchr(start, b->last, LF);

    if (lf != NULL) {
        end = (lf > start && lf[-1] == CR) ? lf - 1 : lf;

    } else {
        end = b->last;
        *cut = 1;
    }

    p = start;

    if (r->method_end != NULL && r->method_end >= start && r->method_end < end) {
        p = r->method_end + 1;

        if (method->data == NULL) {
            method->data = start;
            method->len = p - start;
        }

        while (p < end && *p == ' ') {
            p++;
        }

        if (lf != NULL) {
            end = ngx_http_trace_target_end(p, end);
        }
    }

    target->data = p;
    target->len = end - p;
}


/* The end of the target in a whole request line: before " HTTP/", if any. */

static u_char *
ngx_http_trace_target_end(u_char *target, u_char *end)
{
    u_char  *p;
    size_t   n, len;

    len = sizeof(" HTTP/") - 1;

    for (n = end - target; n >= len; n--) {
        p = target + n - len;

        if (ngx_strncmp(p, " HTTP/", len) == 0) {
            while (p > target && p[-1] == ' ') {
                p--;
            }

            return p;
        }
    }

    return end;
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


void
ngx_http_trace_headers_init(ngx_http_trace_headers_t *it, ngx_list_t *headers)
{
    it->part = &headers->part;
    it->i = 0;
}


ngx_table_elt_t *
ngx_http_trace_headers_next(ngx_http_trace_headers_t *it, ngx_str_t *name)
{
    ngx_table_elt_t  *h;

    for ( ;; ) {

        if (it->i >= it->part->nelts) {
            if (it->part->next == NULL) {
                return NULL;
            }

            it->part = it->part->next;
            it->i = 0;
            continue;
        }

        h = (ngx_table_elt_t *) it->part->elts + it->i++;

        if (h->key.len == name->len
            && ngx_strncasecmp(h->key.data, name->data, name->len) == 0)
        {
            return h;
        }
    }
}
