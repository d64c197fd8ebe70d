/*
 * nginx-trace: the log phase. A finished request is checked against the
 * location's rules and handed to the core, as a request row (trace) and as
 * audit events (trace_audit).
 */

#include "ngx_http_trace_log.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_audit.h"
#include "ngx_http_trace_sessions.h"
#include "ngx_http_trace_worker.h"


static ngx_int_t ngx_http_trace_excluded(ngx_array_t *exclude, trace_str_t *path);
static void ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp);


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
