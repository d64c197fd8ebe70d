/*
 * nginx-trace: the module definition, its directives and their configuration.
 */

#include "ngx_http_trace_module.h"
#include "ngx_http_trace_compile.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_form.h"
#include "ngx_http_trace_log.h"
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

static char *ngx_http_trace_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_trace_host(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_session_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_spool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_switch(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_exclude(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_session(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_redact(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trace_audit_header(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_trace_redactor_cleanup(void *data);


static ngx_command_t  ngx_http_trace_commands[] = {

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

    { ngx_string("trace_status"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_trace_status,
      0,
      0,
      NULL },

    { ngx_string("trace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_trace_switch,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, enable),
      NULL },

    { ngx_string("trace_exclude"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_trace_exclude,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
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

    { ngx_string("trace_session"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_session,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, session),
      NULL },

    { ngx_string("trace_request_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, request_id),
      NULL },

    { ngx_string("trace_redact"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_trace_redact,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_audit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_trace_switch,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, audit),
      NULL },

    { ngx_string("trace_audit_event"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_trace_audit_event,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trace_audit_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_trace_audit_header,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trace_loc_conf_t, audit_header),
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
        && ngx_http_trace_audit_filter_init(cf) != NGX_OK)
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

    u_char     *name;
    ngx_str_t   request_id = ngx_string("request_id");
    ngx_str_t   remote_user = ngx_string("$remote_user");

    if (tmcf->trace_file != NULL && tmcf->conninfo.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_db\" is not set, but \"%s on\" in %s:%ui "
                      "needs it", tmcf->trace_directive, tmcf->trace_file,
                      tmcf->trace_line);
        return NGX_CONF_ERROR;
    }

    if (tmcf->sessions_zone != NULL && tmcf->session_key.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_session_zone\" needs \"trace_session_key\": "
                      "sessions are only kept as keyed hashes");
        return NGX_CONF_ERROR;
    }

    if (tmcf->session_file != NULL && tmcf->session_key.data == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_session_key\" is not set, but \"trace_session\" "
                      "in %s:%ui needs it: session tokens are only stored as "
                      "keyed hashes", tmcf->session_file, tmcf->session_line);
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_size_value(tmcf->buffer_size, 8 * 1024 * 1024);
    ngx_conf_init_size_value(tmcf->batch_size, 256 * 1024);
    ngx_conf_init_msec_value(tmcf->flush_interval, 1000);
    ngx_conf_init_msec_value(tmcf->db_timeout, 10000);
    ngx_conf_init_msec_value(tmcf->drain_timeout, 3000);

    if (tmcf->spool_max_size == NGX_CONF_UNSET) {
        tmcf->spool_max_size = 1024 * 1024 * 1024;
    }

    if (tmcf->batch_size < 1024 || tmcf->batch_size * 2 > tmcf->buffer_size) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_batch_size\" (%uz) must be at least 1k and at "
                      "most half of \"trace_buffer_size\" (%uz)",
                      tmcf->batch_size, tmcf->buffer_size);
        return NGX_CONF_ERROR;
    }

    if (tmcf->flush_interval == 0 || tmcf->db_timeout == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"trace_flush_interval\" and \"trace_db_timeout\" "
                      "must be greater than zero");
        return NGX_CONF_ERROR;
    }

    if (tmcf->host.data == NULL) {
        /* like the old HOST setting: this machine's name unless overridden */
        name = ngx_pnalloc(cf->pool, cf->cycle->hostname.len + 1);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(name, cf->cycle->hostname.data,
                    cf->cycle->hostname.len + 1);
        tmcf->host.data = name;
        tmcf->host.len = cf->cycle->hostname.len;
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

    /* nginx's argument strings are NUL-terminated, as the core wants */

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
ngx_http_trace_host(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (tmcf->host.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"trace_host\" must be 1 to 255 characters");
        return NGX_CONF_ERROR;
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"trace_host\" \"%V\": no spaces or "
                               "control characters", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    tmcf->host = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_trace_session_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    int         len;
    u_char      err[256], *key;
    ngx_str_t  *value;

    if (tmcf->session_key.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_conf_full_name(cf->cycle, &value[1], 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    key = ngx_pnalloc(cf->pool, TRACE_SESSION_KEY_MAX);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    len = trace_session_key_read((const char *) value[1].data, key,
                                 TRACE_SESSION_KEY_MAX, (char *) err,
                                 sizeof(err));
    if (len < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"trace_session_key\": %s", err);
        return NGX_CONF_ERROR;
    }

    tmcf->session_key.data = key;
    tmcf->session_key.len = len;

    return NGX_CONF_OK;
}


/*
 * trace_spool DIR [max_size=SIZE]: the directory is registered as one of
 * nginx's paths, so that nginx creates it (0700) and gives it to the worker
 * user at start, as it does for its temporary directories.
 */

static char *
ngx_http_trace_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    off_t        size;
    ngx_str_t   *value, s;
    ngx_path_t  *path;

    if (tmcf->spool_dir.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "max_size=", 9) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"trace_spool\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 9;
        s.len = value[2].len - 9;

        size = ngx_parse_offset(&s);
        if (size == NGX_ERROR || size < 1024 * 1024) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"max_size\" \"%V\" in \"trace_spool\": "
                               "a size of at least 1m", &s);
            return NGX_CONF_ERROR;
        }

        tmcf->spool_max_size = size;
    }

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = value[1];

    while (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the core wants the directory as a C string */

    tmcf->spool_dir.data = ngx_pnalloc(cf->pool, path->name.len + 1);
    if (tmcf->spool_dir.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(tmcf->spool_dir.data, path->name.data, path->name.len + 1);
    tmcf->spool_dir.len = path->name.len;

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


static char *
ngx_http_trace_audit_header(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    u_char                      *p;
    ngx_str_t                   *value;
    ngx_http_trace_main_conf_t  *tmcf;

    if (tlcf->audit_header.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\" in "
                               "\"trace_audit_header\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == 0) {
        return "needs a header name";
    }

    tlcf->audit_header = value[1];

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);
    tmcf->audit_header_used = 1;

    return NGX_CONF_OK;
}


static char *
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


static char *
ngx_http_trace_session(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    char                        *rv;
    ngx_str_t                   *value;
    ngx_http_trace_main_conf_t  *tmcf;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /*
     * "$cookie_NAME" names the cookie a login response sets, so the login's
     * session can be read from its Set-Cookie header.
     */

    value = cf->args->elts;

    if (value[1].len > sizeof("$cookie_") - 1
        && ngx_strncmp(value[1].data, "$cookie_", sizeof("$cookie_") - 1) == 0
        && ngx_strlchr(value[1].data + 1, value[1].data + value[1].len, '$')
           == NULL)
    {
        tlcf->session_cookie.data = value[1].data + sizeof("$cookie_") - 1;
        tlcf->session_cookie.len = value[1].len - (sizeof("$cookie_") - 1);
    }

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trace_module);

    if (tmcf->session_file == NULL) {
        tmcf->session_file = cf->conf_file->file.name.data;
        tmcf->session_line = cf->conf_file->line;
    }

    return NGX_CONF_OK;
}


static char *
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
