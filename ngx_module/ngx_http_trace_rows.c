/*
 * nginx-trace: the request row. A finished request is recorded unless its
 * path matches trace_exclude, or trace_only_authenticated finds no user; its
 * query is stored with the values of secret parameters redacted (trace_redact).
 * The upstream columns are nginx's $upstream_addr, $upstream_status and
 * $upstream_response_time; trace_field adds values of the site's choosing.
 */

#include "ngx_http_trace_rows.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_compile.h"
#include "ngx_http_trace_sessions.h"


/*
 * One trace_field NAME VALUE. A value that is one variable ($name) is read
 * through its index, as the access log reads its variables: without the
 * complex value's scripts and copy.
 */
typedef struct {
    ngx_str_t                   name;
    ngx_int_t                   index;      /* of the variable, or NGX_ERROR */
    ngx_http_complex_value_t   *value;      /* when it is not one variable */
} ngx_http_trace_field_t;


static ngx_int_t ngx_http_trace_excluded(ngx_array_t *exclude, trace_str_t *path);
static void ngx_http_trace_redactor_cleanup(void *data);
static ngx_int_t ngx_http_trace_variable_name(ngx_str_t *value,
    ngx_str_t *name);
static size_t ngx_http_trace_fields(ngx_http_request_t *r, ngx_array_t *conf,
    trace_field_t *fields);
static void ngx_http_trace_upstream(ngx_http_request_t *r,
    trace_request_t *rec);


char *
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


char *
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


/*
 * trace_field NAME VALUE: several at one level add up, to TRACE_FIELDS_MAX;
 * a level with its own inherits none of the outer ones (the merge).
 */

char *
ngx_http_trace_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    u_char                  *c;
    ngx_str_t               *value, *name, var;
    ngx_uint_t               i;
    ngx_http_trace_field_t  *field;

    value = cf->args->elts;
    name = &value[1];

    for (c = name->data; c < name->data + name->len; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            break;
        }
    }

    if (name->len == 0 || name->len > TRACE_FIELD_NAME_MAX
        || c != name->data + name->len)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid field name \"%V\" in \"%V\": 1 to %d "
                           "characters of a-z, 0-9 and _", name, &cmd->name,
                           TRACE_FIELD_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    if (tlcf->fields == NGX_CONF_UNSET_PTR) {
        tlcf->fields = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_trace_field_t));
        if (tlcf->fields == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    field = tlcf->fields->elts;

    for (i = 0; i < tlcf->fields->nelts; i++) {
        if (field[i].name.len == name->len
            && ngx_strncmp(field[i].name.data, name->data, name->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate field \"%V\" in \"%V\"",
                               name, &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    if (tlcf->fields->nelts >= TRACE_FIELDS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many \"%V\" directives at one level: "
                           "at most %d", &cmd->name, TRACE_FIELDS_MAX);
        return NGX_CONF_ERROR;
    }

    field = ngx_array_push(tlcf->fields);
    if (field == NULL) {
        return NGX_CONF_ERROR;
    }

    field->name = *name;
    field->index = NGX_ERROR;
    field->value = NULL;

    if (ngx_http_trace_variable_name(&value[2], &var)) {
        field->index = ngx_http_get_variable_index(cf, &var);
        if (field->index == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    field->value = ngx_http_trace_compile_value(cf, &value[2]);
    if (field->value == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "$name" alone (not a capture such as $1): the name, for its index. */

static ngx_int_t
ngx_http_trace_variable_name(ngx_str_t *value, ngx_str_t *name)
{
    u_char  *c;

    if (value->len < 2 || value->data[0] != '$'
        || (value->data[1] >= '0' && value->data[1] <= '9'))
    {
        return 0;
    }

    for (c = value->data + 1; c < value->data + value->len; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '_'))
        {
            return 0;
        }
    }

    name->data = value->data + 1;
    name->len = value->len - 1;

    return 1;
}


void
ngx_http_trace_record_request(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp)
{
    ngx_uint_t                  cut;
    trace_str_t                 path, method, uri;
    trace_field_t               fields[TRACE_FIELDS_MAX];
    trace_request_t             rec;
    ngx_http_core_srv_conf_t   *cscf;

    ngx_memzero(&rec, sizeof(trace_request_t));
    ngx_memzero(&method, sizeof(trace_str_t));
    ngx_memzero(&uri, sizeof(trace_str_t));

    if (ngx_http_trace_rejected(r)) {

        /* what the client sent: nginx has not parsed it, or not all of it */

        ngx_http_trace_rejected_target(r, &method, &uri, &cut);
        ngx_http_trace_uri_path(&uri, &path);
        rec.malformed = 1;
        rec.uri_cut = cut ? 1 : 0;

    } else {
        ngx_http_trace_path(r, &path);

        if (r->method_name.len) {
            ngx_http_trace_str(&method, &r->method_name);
        }

        if (r->unparsed_uri.len) {
            ngx_http_trace_str(&uri, &r->unparsed_uri);
        }
    }

    if (tlcf->exclude != NULL && ngx_http_trace_excluded(tlcf->exclude, &path)) {
        return;
    }

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

    rec.method = method;
    rec.uri = uri;

    rec.status = (int) ngx_http_trace_status_code(r);

    ngx_http_trace_str(&rec.client_addr, &r->connection->addr_text);
    rec.bytes_sent = r->connection->sent;

    if (r->headers_in.user_agent) {
        ngx_http_trace_str(&rec.user_agent, &r->headers_in.user_agent->value);
    }

    rec.redactor = tlcf->redactor;

    if (r->headers_in.referer) {
        ngx_http_trace_str(&rec.referer, &r->headers_in.referer->value);
    }

    ngx_http_trace_str(&rec.protocol, &r->http_protocol);

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        rec.scheme.data = (u_char *) "https";
        rec.scheme.len = sizeof("https") - 1;

    } else
#endif
    {
        rec.scheme.data = (u_char *) "http";
        rec.scheme.len = sizeof("http") - 1;
    }

    rec.request_length = r->request_length;

    ngx_http_trace_upstream(r, &rec);

    if (tlcf->fields != NULL) {
        rec.fields = fields;
        rec.nfields = ngx_http_trace_fields(r, tlcf->fields, fields);
    }

    (void) trace_exporter_add_request(exp, &rec);
}


static size_t
ngx_http_trace_fields(ngx_http_request_t *r, ngx_array_t *conf,
    trace_field_t *fields)
{
    ngx_uint_t                  i;
    ngx_http_trace_field_t     *field;
    ngx_http_variable_value_t  *vv;

    field = conf->elts;

    for (i = 0; i < conf->nelts; i++) {
        ngx_http_trace_str(&fields[i].name, &field[i].name);

        if (field[i].value != NULL) {
            ngx_http_trace_value(r, field[i].value, &fields[i].value);
            continue;
        }

        /* not found: left out, as an empty value is */

        vv = ngx_http_get_indexed_variable(r, field[i].index);

        if (vv == NULL || vv->not_found) {
            fields[i].value.data = NULL;
            fields[i].value.len = 0;

        } else {
            fields[i].value.data = vv->data;
            fields[i].value.len = vv->len;
        }
    }

    return conf->nelts;
}


/*
 * The three upstream columns, formatted as ngx_http_upstream.c formats
 * $upstream_addr, $upstream_status and $upstream_response_time, from the
 * same r->upstream_states: an entry per upstream tried, ", " between them and
 * " : " where a state without a peer marks an internal redirect to another
 * upstream. Nothing when the request went to no upstream.
 *
 * Directly rather than through the variables' indexes: one allocation instead
 * of three, about 300 instructions less per proxied request
 * (bench/log_phase_cost.pl). The indexed variables were cheaper only when the
 * access log had just computed them, by reusing values nginx marks as not to
 * be cached (NGX_HTTP_VAR_NOCACHEABLE).
 */

static void
ngx_http_trace_upstream(ngx_http_request_t *r, trace_request_t *rec)
{
    u_char                     *p, *addr, *status, *rtime;
    size_t                      len;
    ngx_uint_t                  i, n, what;
    ngx_msec_int_t              ms;
    ngx_http_upstream_state_t  *state;

    if (r->upstream_states == NULL || r->upstream_states->nelts == 0) {
        return;
    }

    state = r->upstream_states->elts;
    n = r->upstream_states->nelts;

    /* the bounds of ngx_http_upstream.c, all three in one allocation */

    len = n * (3 + 2) + n * (NGX_TIME_T_LEN + 4 + 2);

    for (i = 0; i < n; i++) {
        len += state[i].peer ? state[i].peer->len + 2 : 3;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return;
    }

    addr = NULL;
    status = NULL;
    rtime = NULL;

    for (what = 0; what < 3; what++) {

        if (what == 0) {
            addr = p;
        } else if (what == 1) {
            status = p;
        } else {
            rtime = p;
        }

        i = 0;

        for ( ;; ) {

            if (what == 0) {
                if (state[i].peer) {
                    p = ngx_cpymem(p, state[i].peer->data, state[i].peer->len);
                }

            } else if (what == 1) {
                if (state[i].status) {
                    p = ngx_sprintf(p, "%ui", state[i].status);

                } else {
                    *p++ = '-';
                }

            } else {
                ms = state[i].response_time;

                if (ms != -1) {
                    ms = ngx_max(ms, 0);
                    p = ngx_sprintf(p, "%T.%03M", (time_t) ms / 1000, ms % 1000);

                } else {
                    *p++ = '-';
                }
            }

            if (++i == n) {
                break;
            }

            if (state[i].peer) {
                *p++ = ',';
                *p++ = ' ';

            } else {
                *p++ = ' ';
                *p++ = ':';
                *p++ = ' ';

                if (++i == n) {
                    break;
                }
            }
        }
    }

    rec->upstream_addr.data = addr;
    rec->upstream_addr.len = status - addr;
    rec->upstream_status.data = status;
    rec->upstream_status.len = rtime - status;
    rec->upstream_response_time.data = rtime;
    rec->upstream_response_time.len = p - rtime;
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
