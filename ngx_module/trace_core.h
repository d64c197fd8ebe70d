/*
 * The seam between the nginx shim (C, knows nginx) and the core (C++17, knows
 * records, batches and PostgreSQL). Only plain C types cross it; the core never
 * lets an exception or an nginx type through.
 */

#ifndef TRACE_CORE_H
#define TRACE_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TRACE_API __attribute__((visibility("default")))
#else
#define TRACE_API
#endif

/*
 * Checks a libpq connection string without connecting. Returns 0 when it is
 * usable, or -1 with a one-line reason in err. A password in the string is
 * refused: it would be readable in nginx.conf or in ps; libpq's passfile is the
 * place for it.
 */
TRACE_API int trace_conninfo_check(const char *conninfo, char *err, size_t errlen);


/*
 * Session tokens are never stored: the module stores a keyed hash of them,
 * HMAC-SHA256(key, token) cut to 128 bits and written as 32 lowercase hex
 * digits. trace-ctl computes the same to look a session up by its token.
 */
#define TRACE_SESSION_KEY_MIN  16
#define TRACE_SESSION_KEY_MAX  1024
#define TRACE_SESSION_HASH_LEN 32

/*
 * Reads a key file: its content, without trailing white space, is the key, at
 * least TRACE_SESSION_KEY_MIN bytes. Refuses a file that others may read.
 * Returns the key's length, or -1 with a reason in err.
 */
TRACE_API int trace_session_key_read(const char *path, unsigned char *key,
    size_t keysize, char *err, size_t errlen);

/* Writes TRACE_SESSION_HASH_LEN hex digits (no terminating NUL) to out. */
TRACE_API void trace_session_hash(const unsigned char *key, size_t keylen,
    const unsigned char *token, size_t tokenlen, char *out);

#ifdef __cplusplus
}
#endif

#endif /* TRACE_CORE_H */
