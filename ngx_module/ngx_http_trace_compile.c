/*
 * nginx-trace: compiling what directives hold (a regex, a complex value).
 */

#include "ngx_http_trace_compile.h"


static void ngx_http_trace_regex_cleanup(void *data);


trace_regex_t *
ngx_http_trace_compile_regex(ngx_conf_t *cf, ngx_str_t *directive,
    ngx_str_t *pattern)
{
    u_char               err[256];
    trace_regex_t       *re;
    ngx_pool_cleanup_t  *cln;

    re = trace_regex_compile(pattern->data, pattern->len, (char *) err,
                             sizeof(err));
    if (re == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid regex \"%V\" in \"%V\": %s",
                           pattern, directive, err);
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        trace_regex_free(re);
        return NULL;
    }

    cln->handler = ngx_http_trace_regex_cleanup;
    cln->data = re;

    return re;
}


static void
ngx_http_trace_regex_cleanup(void *data)
{
    trace_regex_free(data);
}


ngx_http_complex_value_t *
ngx_http_trace_compile_value(ngx_conf_t *cf, ngx_str_t *value)
{
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NULL;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NULL;
    }

    return cv;
}
