/*
 * nginx-trace: what directive handlers compile, each in one place: a PCRE2
 * pattern of the core (freed with the configuration's pool) and an nginx
 * complex value. Depends on no other file of the shim.
 */

#ifndef NGX_HTTP_TRACE_COMPILE_H
#define NGX_HTTP_TRACE_COMPILE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "trace_core.h"


/*
 * NULL after an "invalid regex "PATTERN" in "DIRECTIVE": REASON" message;
 * directive is the handler's cmd->name.
 */
trace_regex_t *ngx_http_trace_compile_regex(ngx_conf_t *cf,
    ngx_str_t *directive, ngx_str_t *pattern);

ngx_http_complex_value_t *ngx_http_trace_compile_value(ngx_conf_t *cf,
    ngx_str_t *value);


#endif /* NGX_HTTP_TRACE_COMPILE_H */
