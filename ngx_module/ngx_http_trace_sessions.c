/*
 * nginx-trace: who is behind a session. Applications with form logins keep
 * the user in their own session store; nginx only sees the cookie. The login
 * events tell it which user a session belongs to, and this shared zone
 * remembers it (by the session's keyed hash, never the token) until the
 * logout, the timeout, or until room is needed for newer sessions. Requests and
 * logouts that carry no user of their own are then attributed to it, so that
 * trace_only_authenticated works for such applications too.
 *
 * The zone lives as long as nginx: a reload keeps it, a restart empties it
 * (sessions are known again from their next login).
 *
 * Here too: trace_session (the token), trace_session_key (the key of its hash)
 * and the hash itself, which is all that is ever stored of a token.
 */

#include "ngx_http_trace_sessions.h"


typedef struct {
    u_char                      color;
    u_char                      len;        /* of user */
    u_short                     pad;
    ngx_queue_t                 queue;      /* most recently used first */
    time_t                      expires;
    u_char                      session[TRACE_SESSION_HASH_LEN];
    u_char                      user[1];
} ngx_http_trace_session_node_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 queue;
} ngx_http_trace_sessions_sh_t;


typedef struct {
    ngx_http_trace_sessions_sh_t  *sh;
    ngx_slab_pool_t               *shpool;
} ngx_http_trace_sessions_ctx_t;


#define NGX_HTTP_TRACE_SESSION_USER_MAX  255


static ngx_int_t ngx_http_trace_sessions_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_trace_sessions_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_trace_session_node_t *ngx_http_trace_sessions_find(
    ngx_http_trace_sessions_ctx_t *ctx, ngx_uint_t key, u_char *session);
static void ngx_http_trace_sessions_delete(ngx_http_trace_sessions_ctx_t *ctx,
    ngx_http_trace_session_node_t *sn);
static void ngx_http_trace_sessions_expire(ngx_http_trace_sessions_ctx_t *ctx,
    ngx_uint_t force);
static ngx_uint_t ngx_http_trace_sessions_key(u_char *session);


static ngx_str_t  ngx_http_trace_sessions_name =
    ngx_string("nginx_trace_sessions");


char *
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


char *
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


/* trace_session_zone SIZE [timeout=TIME] */

char *
ngx_http_trace_session_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trace_main_conf_t *tmcf = conf;

    ssize_t                         size;
    ngx_str_t                      *value, s;
    ngx_int_t                       timeout;
    ngx_http_trace_sessions_ctx_t  *ctx;

    if (tmcf->sessions_zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid size \"%V\" in \"trace_session_zone\": "
                           "at least %uz", &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    tmcf->session_timeout = 14 * 24 * 60 * 60;

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "timeout=", 8) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in "
                               "\"trace_session_zone\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 8;
        s.len = value[2].len - 8;

        timeout = ngx_parse_time(&s, 1);
        if (timeout == NGX_ERROR || timeout == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"timeout\" \"%V\" in "
                               "\"trace_session_zone\"", &s);
            return NGX_CONF_ERROR;
        }

        tmcf->session_timeout = timeout;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_trace_sessions_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    tmcf->sessions_zone = ngx_shared_memory_add(cf,
                                                &ngx_http_trace_sessions_name,
                                                size, &ngx_http_trace_module);
    if (tmcf->sessions_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    tmcf->sessions_zone->init = ngx_http_trace_sessions_init_zone;
    tmcf->sessions_zone->data = ctx;

    return NGX_CONF_OK;
}


/* Checks, from the module's init_main_conf. */

char *
ngx_http_trace_sessions_init_main_conf(ngx_conf_t *cf,
    ngx_http_trace_main_conf_t *tmcf)
{
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

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_trace_sessions_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_trace_sessions_ctx_t  *octx = data;

    size_t                          len;
    ngx_http_trace_sessions_ctx_t  *ctx;

    ctx = zone->data;

    if (octx) {
        ctx->sh = octx->sh;         /* a reload keeps what is known */
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_trace_sessions_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_trace_sessions_insert_value);
    ngx_queue_init(&ctx->sh->queue);

    len = sizeof(" in trace_session_zone \"\"") + zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in trace_session_zone \"%V\"%Z",
                &zone->shm.name);

    /* when the zone is full, older sessions make room: not an alert */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_trace_sessions_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t              **p;
    ngx_http_trace_session_node_t   *sn, *snt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            sn = (ngx_http_trace_session_node_t *) &node->color;
            snt = (ngx_http_trace_session_node_t *) &temp->color;

            p = (ngx_memcmp(sn->session, snt->session, TRACE_SESSION_HASH_LEN)
                 < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* The hash is uniformly random already: its first hex digits make the key. */

static ngx_uint_t
ngx_http_trace_sessions_key(u_char *session)
{
    ngx_int_t  n;

    n = ngx_hextoi(session, 7);

    return (ngx_uint_t) (n < 0 ? 0 : n);
}


static ngx_http_trace_session_node_t *
ngx_http_trace_sessions_find(ngx_http_trace_sessions_ctx_t *ctx, ngx_uint_t key,
    u_char *session)
{
    ngx_int_t                       rc;
    ngx_rbtree_node_t              *node, *sentinel;
    ngx_http_trace_session_node_t  *sn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        sn = (ngx_http_trace_session_node_t *) &node->color;

        rc = ngx_memcmp(session, sn->session, TRACE_SESSION_HASH_LEN);

        if (rc == 0) {
            return sn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_trace_sessions_delete(ngx_http_trace_sessions_ctx_t *ctx,
    ngx_http_trace_session_node_t *sn)
{
    ngx_rbtree_node_t  *node;

    node = (ngx_rbtree_node_t *)
               ((u_char *) sn - offsetof(ngx_rbtree_node_t, color));

    ngx_queue_remove(&sn->queue);
    ngx_rbtree_delete(&ctx->sh->rbtree, node);
    ngx_slab_free_locked(ctx->shpool, node);
}


/* Drops expired sessions from the old end; with force, also the oldest one. */

static void
ngx_http_trace_sessions_expire(ngx_http_trace_sessions_ctx_t *ctx,
    ngx_uint_t force)
{
    ngx_uint_t                      n;
    ngx_queue_t                    *q;
    ngx_http_trace_session_node_t  *sn;

    for (n = 0; n < 3 && !ngx_queue_empty(&ctx->sh->queue); n++) {

        q = ngx_queue_last(&ctx->sh->queue);
        sn = ngx_queue_data(q, ngx_http_trace_session_node_t, queue);

        if (!force && sn->expires > ngx_time()) {
            return;
        }

        force = 0;
        ngx_http_trace_sessions_delete(ctx, sn);
    }
}


/* The user a session belongs to, copied into the request's pool. */

ngx_int_t
ngx_http_trace_session_user(ngx_http_request_t *r, u_char *session,
    trace_str_t *user)
{
    u_char                         *copy;
    ngx_http_trace_main_conf_t     *tmcf;
    ngx_http_trace_sessions_ctx_t  *ctx;
    ngx_http_trace_session_node_t  *sn;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);

    if (tmcf->sessions_zone == NULL) {
        return NGX_DECLINED;
    }

    ctx = tmcf->sessions_zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    sn = ngx_http_trace_sessions_find(ctx,
                                      ngx_http_trace_sessions_key(session),
                                      session);

    if (sn == NULL || sn->expires <= ngx_time()) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_queue_remove(&sn->queue);
    ngx_queue_insert_head(&ctx->sh->queue, &sn->queue);

    copy = ngx_pnalloc(r->pool, sn->len);
    if (copy != NULL) {
        ngx_memcpy(copy, sn->user, sn->len);
        user->data = copy;
        user->len = sn->len;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return copy ? NGX_OK : NGX_ERROR;
}


void
ngx_http_trace_session_remember(ngx_http_request_t *r, u_char *session,
    trace_str_t *user)
{
    size_t                          size, len;
    ngx_uint_t                      key;
    ngx_rbtree_node_t              *node;
    ngx_http_trace_main_conf_t     *tmcf;
    ngx_http_trace_sessions_ctx_t  *ctx;
    ngx_http_trace_session_node_t  *sn;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);

    if (tmcf->sessions_zone == NULL || user->len == 0) {
        return;
    }

    ctx = tmcf->sessions_zone->data;
    key = ngx_http_trace_sessions_key(session);
    len = ngx_min(user->len, NGX_HTTP_TRACE_SESSION_USER_MAX);

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_trace_session_node_t, user) + len;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    sn = ngx_http_trace_sessions_find(ctx, key, session);
    if (sn != NULL) {
        ngx_http_trace_sessions_delete(ctx, sn);
    }

    ngx_http_trace_sessions_expire(ctx, 0);

    node = ngx_slab_alloc_locked(ctx->shpool, size);

    if (node == NULL) {
        ngx_http_trace_sessions_expire(ctx, 1);
        node = ngx_slab_alloc_locked(ctx->shpool, size);
    }

    if (node == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "trace: no room in trace_session_zone for a new session");
        return;
    }

    node->key = key;
    sn = (ngx_http_trace_session_node_t *) &node->color;
    sn->len = (u_char) len;
    sn->expires = ngx_time() + tmcf->session_timeout;
    ngx_memcpy(sn->session, session, TRACE_SESSION_HASH_LEN);
    ngx_memcpy(sn->user, user->data, len);

    ngx_rbtree_insert(&ctx->sh->rbtree, node);
    ngx_queue_insert_head(&ctx->sh->queue, &sn->queue);

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
ngx_http_trace_session_forget(ngx_http_request_t *r, u_char *session)
{
    ngx_http_trace_main_conf_t     *tmcf;
    ngx_http_trace_sessions_ctx_t  *ctx;
    ngx_http_trace_session_node_t  *sn;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);

    if (tmcf->sessions_zone == NULL) {
        return;
    }

    ctx = tmcf->sessions_zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    sn = ngx_http_trace_sessions_find(ctx, ngx_http_trace_sessions_key(session),
                                      session);
    if (sn != NULL) {
        ngx_http_trace_sessions_delete(ctx, sn);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* The keyed hash of a session token, in the request's pool; NULL when none. */

u_char *
ngx_http_trace_hash_session(ngx_http_request_t *r, trace_str_t *token)
{
    u_char                      *hash;
    ngx_http_trace_main_conf_t  *tmcf;

    tmcf = ngx_http_get_module_main_conf(r, ngx_http_trace_module);

    if (token->len == 0 || tmcf->session_key.len == 0) {
        return NULL;
    }

    hash = ngx_pnalloc(r->pool, TRACE_SESSION_HASH_LEN);
    if (hash == NULL) {
        return NULL;
    }

    if (trace_session_hash(tmcf->session_key.data, tmcf->session_key.len,
                           token->data, token->len, (char *) hash)
        != 0)
    {
        return NULL;
    }

    return hash;
}
