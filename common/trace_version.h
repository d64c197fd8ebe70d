/*
 * The version of nginx-trace, shown by trace-ctl --version and trace_status;
 * the one place it is written (the Makefile and debian/rules read it here).
 */

#ifndef TRACE_VERSION_H
#define TRACE_VERSION_H

#define TRACE_VERSION "0.1.0"

#endif
