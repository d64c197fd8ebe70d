/*
 * nginx-trace: the log phase, where a finished request is recorded.
 */

#ifndef NGX_HTTP_TRACE_LOG_H
#define NGX_HTTP_TRACE_LOG_H

#include "ngx_http_trace_module.h"


ngx_int_t ngx_http_trace_log_handler(ngx_http_request_t *r);


#endif /* NGX_HTTP_TRACE_LOG_H */
