/* The version of nginx-trace, shown by trace-ctl --version and trace_status. */

#ifndef TRACE_VERSION_H
#define TRACE_VERSION_H

#define TRACE_VERSION "0.1.0"

#endif
