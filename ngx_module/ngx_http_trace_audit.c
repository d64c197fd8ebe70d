/*
 * nginx-trace: audit events. nginx cannot see inside the application, so it
 * learns of logins, logouts and failed logins in three ways:
 *
 *   rules        trace_audit_event ACTION REGEX [method=..] [status=..] [user=..]
 *   the header   trace_audit_header NAME: "login alice" from the upstream,
 *                noted by the header filter (ngx_http_trace_header.c)
 *   basic auth   a 401 to a request that carried credentials (trace_audit_basic_auth)
 *
 * In the log phase, each becomes an event for the exporter: at most one event
 * per action and request, the first in that order (a rule, then the header,
 * then basic auth), so that a failed login that a rule and basic auth both see
 * counts once.
 */

#include "ngx_http_trace_audit.h"
#include "ngx_http_trace_request.h"
#include "ngx_http_trace_compile.h"
#include "ngx_http_trace_sessions.h"


typedef struct {
    const char                 *action;     /* "login", "logout", "login_failed" */
    trace_regex_t              *regex;      /* on the path */
    ngx_array_t                *methods;    /* ngx_str_t; NULL: any */
    ngx_array_t                *statuses;   /* ngx_http_trace_status_range_t; NULL: any */
    ngx_http_complex_value_t   *user;       /* NULL: trace_user */
} ngx_http_trace_audit_rule_t;


typedef struct {
    ngx_uint_t                  low;
    ngx_uint_t                  high;
} ngx_http_trace_status_range_t;


static char *ngx_http_trace_rule_methods(ngx_conf_t *cf,
    ngx_http_trace_audit_rule_t *rule, ngx_str_t *list);
static char *ngx_http_trace_rule_statuses(ngx_conf_t *cf,
    ngx_http_trace_audit_rule_t *rule, ngx_str_t *list);
static ngx_int_t ngx_http_trace_rule_matches(ngx_http_request_t *r,
    ngx_http_trace_audit_rule_t *rule, trace_str_t *path, ngx_uint_t status);
static ngx_uint_t ngx_http_trace_first_of_action(ngx_uint_t *seen,
    const char *action);
static void ngx_http_trace_emit(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp, trace_audit_t *ev,
    const char *action, const char *source, trace_str_t *user);
static void ngx_http_trace_login_session(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_str_t *session);


static ngx_str_t  ngx_http_trace_set_cookie = ngx_string("Set-Cookie");


/* --- configuration ------------------------------------------------------- */

char *
ngx_http_trace_audit_event(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_loc_conf_t *tlcf = conf;

    ngx_str_t                    *value, v;
    ngx_uint_t                    i;
    ngx_http_trace_audit_rule_t  *rule;

    static const char            *actions[] = TRACE_ACTIONS;

    if (tlcf->audit_rules == NGX_CONF_UNSET_PTR) {
        tlcf->audit_rules = ngx_array_create(cf->pool, 4,
                                             sizeof(ngx_http_trace_audit_rule_t));
        if (tlcf->audit_rules == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(tlcf->audit_rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rule, sizeof(ngx_http_trace_audit_rule_t));

    value = cf->args->elts;

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (ngx_strcmp(value[1].data, actions[i]) == 0) {
            rule->action = actions[i];
            break;
        }
    }

    if (rule->action == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown audit event \"%V\" in \"trace_audit_event\": "
                           "login, logout or login_failed", &value[1]);
        return NGX_CONF_ERROR;
    }

    rule->regex = ngx_http_trace_compile_regex(cf, &cmd->name, &value[2]);
    if (rule->regex == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "method=", 7) == 0) {
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

            if (ngx_http_trace_rule_methods(cf, rule, &v) != NGX_CONF_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "status=", 7) == 0) {
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

            if (ngx_http_trace_rule_statuses(cf, rule, &v) != NGX_CONF_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "user=", 5) == 0 && value[i].len > 5) {
            v.data = value[i].data + 5;
            v.len = value[i].len - 5;

            rule->user = ngx_http_trace_compile_value(cf, &v);
            if (rule->user == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"trace_audit_event\": "
                           "method=, status= or user=", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_trace_rule_methods(ngx_conf_t *cf, ngx_http_trace_audit_rule_t *rule,
    ngx_str_t *list)
{
    u_char     *p, *end, *start;
    ngx_str_t  *m;

    rule->methods = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (rule->methods == NULL) {
        return NGX_CONF_ERROR;
    }

    end = list->data + list->len;

    for (start = p = list->data; p <= end; p++) {
        if (p < end && *p != ',') {
            if (*p < 'A' || *p > 'Z') {
                goto invalid;
            }
            continue;
        }

        if (p == start) {
            goto invalid;
        }

        m = ngx_array_push(rule->methods);
        if (m == NULL) {
            return NGX_CONF_ERROR;
        }

        m->data = start;
        m->len = p - start;
        start = p + 1;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"method=%V\" in \"trace_audit_event\": "
                       "methods in capitals, separated by commas", list);
    return NGX_CONF_ERROR;
}


/* status=302,401 or status=3xx,401: each a code 100..599 or a class 1xx..5xx */

static char *
ngx_http_trace_rule_statuses(ngx_conf_t *cf, ngx_http_trace_audit_rule_t *rule,
    ngx_str_t *list)
{
    u_char                         *p, *end, *start;
    ngx_int_t                       n;
    ngx_http_trace_status_range_t  *range;

    rule->statuses = ngx_array_create(cf->pool, 2,
                                      sizeof(ngx_http_trace_status_range_t));
    if (rule->statuses == NULL) {
        return NGX_CONF_ERROR;
    }

    end = list->data + list->len;

    for (start = p = list->data; p <= end; p++) {
        if (p < end && *p != ',') {
            continue;
        }

        if (p - start != 3) {
            goto invalid;
        }

        range = ngx_array_push(rule->statuses);
        if (range == NULL) {
            return NGX_CONF_ERROR;
        }

        if (start[1] == 'x' && start[2] == 'x') {
            if (start[0] < '1' || start[0] > '5') {
                goto invalid;
            }

            range->low = (start[0] - '0') * 100;
            range->high = range->low + 99;

        } else {
            n = ngx_atoi(start, 3);
            if (n < 100 || n > 599) {
                goto invalid;
            }

            range->low = n;
            range->high = n;
        }

        start = p + 1;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"status=%V\" in \"trace_audit_event\": "
                       "codes 100..599 or classes 1xx..5xx, separated by commas",
                       list);
    return NGX_CONF_ERROR;
}


/* --- the log phase --------------------------------------------------------- */

void
ngx_http_trace_record_audit(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_exporter_t *exp)
{
    ngx_uint_t                      i, status, seen;
    trace_str_t                     path, user;
    trace_audit_t                   ev;
    ngx_http_trace_ctx_t           *ctx;
    ngx_http_trace_audit_rule_t    *rule;
    ngx_http_trace_header_event_t  *hev;

    ngx_memzero(&ev, sizeof(trace_audit_t));

    ngx_http_trace_path(r, &path);
    status = ngx_http_trace_status_code(r);

    ev.ts_us = ngx_http_trace_start_us(r);
    ev.path = path;
    ev.status = (int) status;

    if (r->method_name.len) {
        ngx_http_trace_str(&ev.method, &r->method_name);
    }

    ngx_http_trace_str(&ev.client_addr, &r->connection->addr_text);

    if (r->headers_in.user_agent) {
        ngx_http_trace_str(&ev.user_agent, &r->headers_in.user_agent->value);
    }

    ngx_http_trace_request_id(r, tlcf, &ev.request_id);

    seen = 0;

    if (tlcf->audit_rules != NULL) {
        rule = tlcf->audit_rules->elts;

        for (i = 0; i < tlcf->audit_rules->nelts; i++) {
            if (!ngx_http_trace_rule_matches(r, &rule[i], &path, status)
                || !ngx_http_trace_first_of_action(&seen, rule[i].action))
            {
                continue;
            }

            ngx_http_trace_value(r, rule[i].user ? rule[i].user : tlcf->user,
                                 &user);
            ngx_http_trace_emit(r, tlcf, exp, &ev, rule[i].action, "rule",
                                &user);
        }
    }

    ctx = ngx_http_trace_get_ctx(r, 0);

    if (ctx != NULL && ctx->header_events != NULL) {
        hev = ctx->header_events->elts;

        for (i = 0; i < ctx->header_events->nelts; i++) {
            if (!ngx_http_trace_first_of_action(&seen, hev[i].action)) {
                continue;
            }

            if (hev[i].user.len) {
                ngx_http_trace_str(&user, &hev[i].user);

            } else {
                ngx_http_trace_value(r, tlcf->user, &user);
            }

            ngx_http_trace_emit(r, tlcf, exp, &ev, hev[i].action, "header",
                                &user);
        }
    }

    if (tlcf->audit_basic_auth
        && status == NGX_HTTP_UNAUTHORIZED
        && r->headers_in.authorization != NULL
        && ngx_http_auth_basic_user(r) == NGX_OK
        && r->headers_in.user.len
        && ngx_http_trace_first_of_action(&seen, TRACE_ACTION_LOGIN_FAILED))
    {
        ngx_http_trace_str(&user, &r->headers_in.user);
        ngx_http_trace_emit(r, tlcf, exp, &ev, TRACE_ACTION_LOGIN_FAILED, "basic_auth",
                            &user);
    }
}


static ngx_int_t
ngx_http_trace_rule_matches(ngx_http_request_t *r,
    ngx_http_trace_audit_rule_t *rule, trace_str_t *path, ngx_uint_t status)
{
    ngx_uint_t                      i, found;
    ngx_str_t                      *m;
    ngx_http_trace_status_range_t  *s;

    if (rule->methods != NULL) {
        m = rule->methods->elts;
        found = 0;

        for (i = 0; i < rule->methods->nelts; i++) {
            if (m[i].len == r->method_name.len
                && ngx_strncmp(m[i].data, r->method_name.data, m[i].len) == 0)
            {
                found = 1;
                break;
            }
        }

        if (!found) {
            return 0;
        }
    }

    if (rule->statuses != NULL) {
        s = rule->statuses->elts;
        found = 0;

        for (i = 0; i < rule->statuses->nelts; i++) {
            if (status >= s[i].low && status <= s[i].high) {
                found = 1;
                break;
            }
        }

        if (!found) {
            return 0;
        }
    }

    return trace_regex_match(rule->regex, path->data, path->len);
}


/*
 * One event per action and request: true the first time an action is seen,
 * noting it in seen (a bit per action).
 */

static ngx_uint_t
ngx_http_trace_first_of_action(ngx_uint_t *seen, const char *action)
{
    ngx_uint_t          i, bit;

    static const char  *actions[] = TRACE_ACTIONS;

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (ngx_strcmp(action, actions[i]) == 0) {
            break;
        }
    }

    bit = (ngx_uint_t) 1 << i;

    if (*seen & bit) {
        return 0;
    }

    *seen |= bit;

    return 1;
}


/*
 * The session of a login is the one the response sets, so that the requests
 * that follow can be tied to it; of the others, the one the request carried.
 */

static void
ngx_http_trace_emit(ngx_http_request_t *r, ngx_http_trace_loc_conf_t *tlcf,
    trace_exporter_t *exp, trace_audit_t *ev, const char *action,
    const char *source, trace_str_t *user)
{
    u_char      *hash;
    ngx_uint_t   login;

    ev->action = action;
    ev->source = source;
    ev->user = *user;
    ev->session.data = NULL;
    ev->session.len = 0;

    login = (ngx_strcmp(action, TRACE_ACTION_LOGIN) == 0);

    if (login) {
        ngx_http_trace_login_session(r, tlcf, &ev->session);
    }

    if (ev->session.len == 0 && tlcf->session != NULL) {
        ngx_http_trace_value(r, tlcf->session, &ev->session);
    }

    hash = ngx_http_trace_hash_session(r, &ev->session);
    ev->session_hash = (const char *) hash;

    /* trace_session_zone learns who is behind a session, and forgets it */

    if (hash != NULL && login) {
        ngx_http_trace_session_remember(r, hash, &ev->user);

    } else if (hash != NULL && ngx_strcmp(action, TRACE_ACTION_LOGOUT) == 0) {
        if (ev->user.len == 0) {
            (void) ngx_http_trace_session_user(r, hash, &ev->user);
        }

        ngx_http_trace_session_forget(r, hash);
    }

    (void) trace_exporter_add_audit(exp, ev);
}


static void
ngx_http_trace_login_session(ngx_http_request_t *r,
    ngx_http_trace_loc_conf_t *tlcf, trace_str_t *session)
{
    u_char                    *p, *end, *value;
    ngx_table_elt_t           *h;
    ngx_http_trace_headers_t   headers;

    if (tlcf->login_session != NULL) {
        ngx_http_trace_value(r, tlcf->login_session, session);
        return;
    }

    if (tlcf->session_cookie.len == 0) {
        return;
    }

    /* Set-Cookie: NAME=VALUE; Path=/; HttpOnly -- the last one wins */

    ngx_http_trace_headers_init(&headers, &r->headers_out.headers);

    for ( ;; ) {
        h = ngx_http_trace_headers_next(&headers, &ngx_http_trace_set_cookie);

        if (h == NULL) {
            break;
        }

        p = h->value.data;
        end = p + h->value.len;

        while (p < end && *p == ' ') {
            p++;
        }

        if ((size_t) (end - p) <= tlcf->session_cookie.len
            || ngx_strncasecmp(p, tlcf->session_cookie.data,
                           tlcf->session_cookie.len) != 0
            || p[tlcf->session_cookie.len] != '=')
        {
            continue;
        }

        value = p + tlcf->session_cookie.len + 1;
        p = ngx_strlchr(value, end, ';');

        session->data = value;
        session->len = (p ? p : end) - value;
    }
}
