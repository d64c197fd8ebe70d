/*
 * nginx-trace: $trace_form_NAME, a field of a form body nginx holds in memory.
 */

#ifndef NGX_HTTP_TRACE_FORM_H
#define NGX_HTTP_TRACE_FORM_H

#include "ngx_http_trace_module.h"


/* preconfiguration */
ngx_int_t ngx_http_trace_form_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_TRACE_FORM_H */
