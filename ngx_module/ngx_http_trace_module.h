/*
 * nginx-trace: declarations shared by the files of the nginx shim.
 * The shim speaks nginx; everything about records and PostgreSQL is behind
 * trace_core.h.
 */

#ifndef NGX_HTTP_TRACE_MODULE_H
#define NGX_HTTP_TRACE_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "trace_core.h"


typedef struct {
    ngx_str_t                   conninfo;       /* trace_db */

    /* where the first "trace on" was written, for the "no trace_db" error */
    u_char                     *first_use_file;
    ngx_uint_t                  first_use_line;
} ngx_http_trace_main_conf_t;


typedef struct {
    ngx_flag_t                  enable;         /* trace */
} ngx_http_trace_loc_conf_t;


extern ngx_module_t  ngx_http_trace_module;


#endif /* NGX_HTTP_TRACE_MODULE_H */
