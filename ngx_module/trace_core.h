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

#ifdef __cplusplus
}
#endif

#endif /* TRACE_CORE_H */
