/*
 * nginx-trace: the log phase. A finished request is checked against the
 * location's rules and handed to the core, as a request row (trace) and as
 * audit events (trace_audit).
 */

#include "ngx_http_trace_log.h"
#include "ngx_http_trace_rows.h"
#include "ngx_http_trace_audit.h"
#include "ngx_http_trace_worker.h"


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
