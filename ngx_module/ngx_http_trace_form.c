/*
 * nginx-trace: $trace_form_NAME, the field NAME of an urlencoded request body,
 * like $arg_NAME for the query (decoded, name compared case-insensitively).
 *
 * Only a body that nginx already holds in memory is read, because the request
 * was proxied or otherwise read: the variable never starts a body read, never
 * changes what is proxied, and is empty when the body went to a temporary file.
 */

#include "ngx_http_trace_form.h"


static ngx_int_t ngx_http_trace_form_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_TRACE_FORM_PREFIX  "trace_form_"
#define NGX_HTTP_TRACE_FORM_TYPE    "application/x-www-form-urlencoded"


ngx_int_t
ngx_http_trace_form_add_variables(ngx_conf_t *cf)
{
    ngx_str_t             name = ngx_string(NGX_HTTP_TRACE_FORM_PREFIX);
    ngx_http_variable_t  *var;

    /* the body may arrive after a first look: never cache "not found" */

    var = ngx_http_add_variable(cf, &name,
                                NGX_HTTP_VAR_PREFIX|NGX_HTTP_VAR_NOCACHEABLE);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_trace_form_variable;

    return NGX_OK;
}


static ngx_int_t
ngx_http_trace_form_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *name = (ngx_str_t *) data;

    size_t                     len, out_len;
    u_char                    *body, *p, *out;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_table_elt_t           *type;
    ngx_http_request_body_t   *rb;

    v->not_found = 1;

    rb = r->main->request_body;
    type = r->main->headers_in.content_type;

    if (rb == NULL || rb->bufs == NULL || rb->temp_file != NULL
        || type == NULL
        || type->value.len < sizeof(NGX_HTTP_TRACE_FORM_TYPE) - 1
        || ngx_strncasecmp(type->value.data, (u_char *) NGX_HTTP_TRACE_FORM_TYPE,
                           sizeof(NGX_HTTP_TRACE_FORM_TYPE) - 1) != 0)
    {
        return NGX_OK;
    }

    len = 0;

    for (cl = rb->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file || !ngx_buf_in_memory(b)) {
            return NGX_OK;
        }

        len += b->last - b->pos;
    }

    if (len == 0) {
        return NGX_OK;
    }

    if (rb->bufs->next == NULL) {
        body = rb->bufs->buf->pos;

    } else {
        body = ngx_pnalloc(r->pool, len);
        if (body == NULL) {
            return NGX_ERROR;
        }

        p = body;

        for (cl = rb->bufs; cl; cl = cl->next) {
            p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }

    out = ngx_pnalloc(r->pool, len);
    if (out == NULL) {
        return NGX_ERROR;
    }

    if (!trace_form_field(body, len,
                          name->data + sizeof(NGX_HTTP_TRACE_FORM_PREFIX) - 1,
                          name->len - (sizeof(NGX_HTTP_TRACE_FORM_PREFIX) - 1),
                          out, &out_len))
    {
        return NGX_OK;
    }

    v->data = out;
    v->len = out_len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
