/*
 * nginx-trace: the request row. A finished request is recorded unless its
 * path matches trace_exclude, or trace_only_authenticated finds no user; its
 * query is stored with the values of secret parameters redacted (trace_redact).
 */

#include "ngx_http_trace_rows.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_compile.h"
#include "ngx_http_trace_sessions.h"


static ngx_int_t ngx_http_trace_excluded(ngx_array_t *exclude, trace_str_t *path);
static void ngx_http_trace_redactor_cleanup(void *data);


char *
ngx_http_trace_exclude(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    ngx_str_t       *value;
    ngx_uint_t       i;
    trace_regex_t   *re, **slot;

    /* several trace_exclude directives at one level add up */

    if (tlcf->exclude == NGX_CONF_UNSET_PTR) {
        tlcf->exclude = ngx_array_create(cf->pool, 4, sizeof(trace_regex_t *));
        if (tlcf->exclude == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        re = ngx_http_trace_compile_regex(cf, &cmd->name, &value[i]);
        if (re == NULL) {
            return NGX_CONF_ERROR;
        }

        slot = ngx_array_push(tlcf->exclude);
        if (slot == NULL) {
            return NGX_CONF_ERROR;
        }

        *slot = re;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_trace_redact(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    u_char               err[256];
    size_t               n;
    ngx_str_t           *value;
    ngx_uint_t           i;
    trace_str_t         *names;
    ngx_pool_cleanup_t  *cln;

    if (tlcf->redactor != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    n = cf->args->nelts - 1;

    /* "trace_redact off;" stores every parameter as it came */

    if (n == 1 && ngx_strcmp(value[1].data, "off") == 0) {
        n = 0;
    }

    names = ngx_pcalloc(cf->pool, sizeof(trace_str_t) * (n ? n : 1));
    if (names == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < n; i++) {

        if (value[i + 1].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty parameter name in \"trace_redact\"");
            return NGX_CONF_ERROR;
        }

        names[i].data = value[i + 1].data;
        names[i].len = value[i + 1].len;
    }

    tlcf->redactor = trace_redactor_create(names, n, (char *) err,
                                           sizeof(err));
    if (tlcf->redactor == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"trace_redact\": %s", err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        trace_redactor_free(tlcf->redactor);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_trace_redactor_cleanup;
    cln->data = tlcf->redactor;

    return NGX_CONF_OK;
}


static void
ngx_http_trace_redactor_cleanup(void *data)
{
    trace_redactor_free(data);
}


void
ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp)
{
    ngx_uint_t                  cut;
    trace_str_t                 path, method, uri;
    trace_request_t             rec;
    ngx_http_core_srv_conf_t   *cscf;

    ngx_memzero(&rec, sizeof(trace_request_t));
    ngx_memzero(&method, sizeof(trace_str_t));
    ngx_memzero(&uri, sizeof(trace_str_t));

    if (ngx_http_trace_rejected(r)) {

        /* what the client sent: nginx has not parsed it, or not all of it */

        ngx_http_trace_rejected_target(r, &method, &uri, &cut);
        ngx_http_trace_uri_path(&uri, &path);
        rec.malformed = 1;
        rec.uri_cut = cut ? 1 : 0;

    } else {
        ngx_http_trace_path(r, &path);

        if (r->method_name.len) {
            ngx_http_trace_str(&method, &r->method_name);
        }

        if (r->unparsed_uri.len) {
            ngx_http_trace_str(&uri, &r->unparsed_uri);
        }
    }

    if (tlcf->exclude != NULL && ngx_http_trace_excluded(tlcf->exclude, &path)) {
        return;
    }

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

    rec.method = method;
    rec.uri = uri;

    rec.status = (int) ngx_http_trace_status_code(r);

    ngx_http_trace_str(&rec.client_addr, &r->connection->addr_text);
    rec.bytes_sent = r->connection->sent;

    if (r->headers_in.user_agent) {
        ngx_http_trace_str(&rec.user_agent, &r->headers_in.user_agent->value);
    }

    rec.redactor = tlcf->redactor;

    (void) trace_exporter_add_request(exp, &rec);
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
