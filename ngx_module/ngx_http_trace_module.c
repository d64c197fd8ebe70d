/*
 * nginx-trace: the module definition, its one table of directives (each
 * handler lives in its subsystem's file), the configuration's create, merge
 * and checks, "trace" and "trace_audit", and the handlers nginx calls.
 */

#include "ngx_http_trace_module.h"
#include "ngx_http_trace_compile.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_form.h"
#include "ngx_http_trace_header.h"
#include "ngx_http_trace_log.h"
#include "ngx_http_trace_rows.h"
#include "ngx_http_trace_audit.h"
#include "ngx_http_trace_sessions.h"
#include "ngx_http_trace_worker.h"
#include "ngx_http_trace_status.h"


static ngx_int_t ngx_http_trace_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_trace_init(ngx_conf_t *cf);
static void *ngx_http_trace_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_trace_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_trace_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_trace_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_http_trace_switch(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_trace_commands[] = {

    /* recording on or off, and whose: this file */

    { ngx_string("trace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_trace_switch,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, enable),
      NULL },

    { ngx_string("trace_only_authenticated"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, only_authenticated),
      NULL },

    { ngx_string("trace_user"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, user),
      NULL },

    { ngx_string("trace_request_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, request_id),
      NULL },

    { ngx_string("trace_audit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_trace_switch,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, audit),
      NULL },

    /* request rows: ngx_http_trace_rows.c */

    { ngx_string("trace_exclude"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_trace_exclude,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_redact"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_trace_redact,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_trace_field,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* audit events: ngx_http_trace_audit.c and ngx_http_trace_header.c */

    { ngx_string("trace_audit_event"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_trace_audit_event,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_audit_basic_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, audit_basic_auth),
      NULL },

    { ngx_string("trace_audit_login_session"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, login_session),
      NULL },

    { ngx_string("trace_audit_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_audit_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, audit_header),
      NULL },

    /* sessions: ngx_http_trace_sessions.c */

    { ngx_string("trace_session"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_session,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, session),
      NULL },

    { ngx_string("trace_session_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_session_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_session_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_trace_session_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    /* the worker's exporter: ngx_http_trace_worker.c */

    { ngx_string("trace_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_db,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_host"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_host,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_buffer_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_trace_main_conf_t, buffer_size),
      NULL },

    { ngx_string("trace_batch_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_trace_main_conf_t, batch_size),
      NULL },

    { ngx_string("trace_flush_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_trace_main_conf_t, flush_interval),
      NULL },

    { ngx_string("trace_db_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_trace_main_conf_t, db_timeout),
      NULL },

    { ngx_string("trace_drain_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_trace_main_conf_t, drain_timeout),
      NULL },

    { ngx_string("trace_spool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_trace_spool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    /* counters: ngx_http_trace_status.c */

    { ngx_string("trace_status"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_trace_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_trace_module_ctx = {
    ngx_http_trace_add_variables,          /* preconfiguration */
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
    ngx_http_trace_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_trace_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_trace_add_variables(ngx_conf_t *cf)
{
    return ngx_http_trace_form_add_variables(cf);
}


/* The handlers cost nothing where nothing is traced: they are not installed. */

static ngx_int_t
ngx_http_trace_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    if (tmcf->trace_file != NULL || tmcf->status_used) {
        if (ngx_http_trace_status_zone_add(cf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (tmcf->trace_file == NULL) {
        return NGX_OK;
    }

    if (tmcf->audit_header_used
        && ngx_http_trace_header_filter_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_trace_post_read_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_trace_log_handler;

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
     *     tmcf->host = { 0, NULL };
     *     tmcf->session_key = { 0, NULL };
     *     tmcf->default_user = NULL;
     *     tmcf->spool_dir = { 0, NULL };
     *     tmcf->spool_off = 0;
     *     tmcf->status_zone = NULL;
     *     tmcf->sessions_zone = NULL;
     *     tmcf->status_used = 0;
     *     tmcf->trace_file = NULL;
     *     tmcf->session_file = NULL;
     */

    tmcf->buffer_size = NGX_CONF_UNSET_SIZE;
    tmcf->batch_size = NGX_CONF_UNSET_SIZE;
    tmcf->flush_interval = NGX_CONF_UNSET_MSEC;
    tmcf->db_timeout = NGX_CONF_UNSET_MSEC;
    tmcf->drain_timeout = NGX_CONF_UNSET_MSEC;
    tmcf->spool_max_size = NGX_CONF_UNSET;

    return tmcf;
}


static char *
ngx_http_trace_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    ngx_str_t  request_id = ngx_string("request_id");
    ngx_str_t  remote_user = ngx_string("$remote_user");

    if (tmcf->trace_file != NULL && tmcf->conninfo.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_db\" is not set, but \"%s on\" in %s:%ui "
                      "needs it", tmcf->trace_directive, tmcf->trace_file,
                      tmcf->trace_line);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_trace_sessions_init_main_conf(cf, tmcf) != NGX_CONF_OK
        || ngx_http_trace_worker_init_main_conf(cf, tmcf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    tmcf->default_user = ngx_http_trace_compile_value(cf, &remote_user);
    if (tmcf->default_user == NULL) {
        return NGX_CONF_ERROR;
    }

    tmcf->request_id_index = ngx_http_get_variable_index(cf, &request_id);
    if (tmcf->request_id_index == NGX_ERROR) {
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
    tlcf->only_authenticated = NGX_CONF_UNSET;
    tlcf->exclude = NGX_CONF_UNSET_PTR;
    tlcf->user = NGX_CONF_UNSET_PTR;
    tlcf->session = NGX_CONF_UNSET_PTR;
    tlcf->request_id = NGX_CONF_UNSET_PTR;
    tlcf->redactor = NGX_CONF_UNSET_PTR;
    tlcf->fields = NGX_CONF_UNSET_PTR;
    tlcf->audit = NGX_CONF_UNSET;
    tlcf->audit_rules = NGX_CONF_UNSET_PTR;
    tlcf->audit_basic_auth = NGX_CONF_UNSET;
    tlcf->login_session = NGX_CONF_UNSET_PTR;

    /*
     * set by ngx_pcalloc():
     *
     *     tlcf->audit_header = { 0, NULL };
     *     tlcf->session_cookie = { 0, NULL };
     */

    return tlcf;
}


static char *
ngx_http_trace_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_trace_loc_conf_t *prev = parent;
    ngx_http_trace_loc_conf_t *conf = child;

    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->only_authenticated, prev->only_authenticated,
                         1);
    ngx_conf_merge_ptr_value(conf->exclude, prev->exclude, NULL);
    ngx_conf_merge_ptr_value(conf->user, prev->user, tmcf->default_user);
    ngx_conf_merge_ptr_value(conf->session, prev->session, NULL);
    /* NULL: $request_id when the request has one already, else the module's */
    ngx_conf_merge_ptr_value(conf->request_id, prev->request_id, NULL);

    /* NULL means the core's built-in list of secret parameter names */
    ngx_conf_merge_ptr_value(conf->redactor, prev->redactor, NULL);

    /* a level with trace_field lines of its own inherits none of the outer */
    ngx_conf_merge_ptr_value(conf->fields, prev->fields, NULL);

    ngx_conf_merge_value(conf->audit, prev->audit, 0);
    ngx_conf_merge_ptr_value(conf->audit_rules, prev->audit_rules, NULL);
    ngx_conf_merge_str_value(conf->audit_header, prev->audit_header, "");
    ngx_conf_merge_value(conf->audit_basic_auth, prev->audit_basic_auth, 1);
    ngx_conf_merge_ptr_value(conf->login_session, prev->login_session, NULL);

    /* the session cookie goes with the trace_session it was derived from */

    if (conf->session == prev->session && conf->session_cookie.len == 0) {
        conf->session_cookie = prev->session_cookie;
    }

    return NGX_CONF_OK;
}


/*
 * "trace on" and "trace_audit on": a flag, and where recording was first
 * switched on, for the "no trace_db" error.
 */

static char *
ngx_http_trace_switch(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                        *rv;
    ngx_http_trace_main_conf_t  *tmcf;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK || !*(ngx_flag_t *) ((char *) conf + cmd->offset)) {
        return rv;
    }

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    if (tmcf->trace_file == NULL) {
        tmcf->trace_directive = (const char *) cmd->name.data;
        tmcf->trace_file = cf->conf_file->file.name.data;
        tmcf->trace_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}
