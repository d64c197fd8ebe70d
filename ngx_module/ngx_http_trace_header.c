/*
 * nginx-trace: the audit header filter. An upstream reports logins, logouts
 * and failed logins in a response header (trace_audit_header NAME, a value
 * "login alice"); the filter notes them in the request's context, for the
 * log phase, and removes the header before the response reaches the client.
 */

#include "ngx_http_trace_header.h"
#include "ngx_http_trace_request.h"


static ngx_int_t ngx_http_trace_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


char *
ngx_http_trace_audit_header(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    u_char                      *p;
    ngx_str_t                   *value;
    ngx_http_trace_main_conf_t  *tmcf;

    if (tlcf->audit_header.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\" in "
                               "\"trace_audit_header\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == 0) {
        return "needs a header name";
    }

    tlcf->audit_header = value[1];

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);
    tmcf->audit_header_used = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_trace_header_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_trace_header_filter;

    return NGX_OK;
}


/*
 * Runs before any other filter writes the response header: the upstream's
 * audit header is read, noted in the request's context, and hidden (hash 0
 * is how nginx marks a header that is not to be sent).
 */

static ngx_int_t
ngx_http_trace_header_filter(ngx_http_request_t *r)
{
    size_t                          len;
    u_char                         *user;
    const char                     *action;
    ngx_table_elt_t                *h;
    ngx_http_trace_ctx_t           *ctx;
    ngx_http_trace_headers_t        headers;
    ngx_http_trace_loc_conf_t      *tlcf;
    ngx_http_trace_header_event_t  *ev;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_trace_module);

    if (r != r->main || tlcf->audit_header.len == 0) {
        return ngx_http_next_header_filter(r);
    }

    ngx_http_trace_headers_init(&headers, &r->headers_out.headers);

    for ( ;; ) {
        h = ngx_http_trace_headers_next(&headers, &tlcf->audit_header);

        if (h == NULL) {
            break;
        }

        if (h->hash == 0) {
            continue;
        }

        h->hash = 0;

        if (!tlcf->audit) {
            continue;
        }

        user = ngx_pnalloc(r->pool, h->value.len + 1);
        if (user == NULL) {
            continue;
        }

        if (trace_audit_header_parse(h->value.data, h->value.len, &action,
                                     user, &len)
            != 0)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "trace: ignored \"%V: %V\" from the upstream: "
                          "the value must be \"login|logout|login_failed "
                          "[USER]\"", &h->key, &h->value);
            continue;
        }

        ctx = ngx_http_trace_get_ctx(r, 1);
        if (ctx == NULL) {
            continue;
        }

        if (ctx->header_events == NULL) {
            ctx->header_events = ngx_array_create(r->pool, 1,
                                        sizeof(ngx_http_trace_header_event_t));
            if (ctx->header_events == NULL) {
                continue;
            }
        }

        ev = ngx_array_push(ctx->header_events);
        if (ev == NULL) {
            continue;
        }

        ev->action = action;
        ev->user.data = user;
        ev->user.len = len;
    }

    return ngx_http_next_header_filter(r);
}
