/*
 * nginx-trace: the module definition, its directives and their configuration.
 */

#include "ngx_http_trace_module.h"


static ngx_int_t ngx_http_trace_init(ngx_conf_t *cf);
static void *ngx_http_trace_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_trace_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_trace_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_trace_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_http_trace_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_trace(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_trace_commands[] = {

    { ngx_string("trace_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_db,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_trace,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, enable),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_trace_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_trace_init,                   /* postconfiguration */

    ngx_http_trace_create_main_conf,       /* create main configuration */
    ngx_http_trace_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_trace_create_loc_conf,        /* create location configuration */
    ngx_http_trace_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_trace_module = {
    NGX_MODULE_V1,
    &ngx_http_trace_module_ctx,            /* module context */
    ngx_http_trace_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_trace_init(ngx_conf_t *cf)
{
    return NGX_OK;
}


static void *
ngx_http_trace_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_trace_main_conf_t));
    if (tmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     tmcf->conninfo = { 0, NULL };
     *     tmcf->first_use_file = NULL;
     *     tmcf->first_use_line = 0;
     */

    return tmcf;
}


static char *
ngx_http_trace_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    if (tmcf->first_use_file != NULL && tmcf->conninfo.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_db\" is not set, but \"trace on\" in %s:%ui "
                      "needs it", tmcf->first_use_file, tmcf->first_use_line);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_trace_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_trace_loc_conf_t  *tlcf;

    tlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_trace_loc_conf_t));
    if (tlcf == NULL) {
        return NULL;
    }

    tlcf->enable = NGX_CONF_UNSET;

    return tlcf;
}


static char *
ngx_http_trace_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_trace_loc_conf_t *prev = parent;
    ngx_http_trace_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    return NGX_CONF_OK;
}


static char *
ngx_http_trace_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    u_char      err[256];
    ngx_str_t  *value;

    if (tmcf->conninfo.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* the core wants a C string; nginx's argument strings are NUL-terminated */

    if (trace_conninfo_check((const char *) value[1].data, (char *) err,
                             sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"trace_db\": %s", err);
        return NGX_CONF_ERROR;
    }

    tmcf->conninfo = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_trace(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                        *rv;
    ngx_http_trace_loc_conf_t   *tlcf = conf;
    ngx_http_trace_main_conf_t  *tmcf;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    if (tlcf->enable && tmcf->first_use_file == NULL) {
        tmcf->first_use_file = cf->conf_file->file.name.data;
        tmcf->first_use_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}
