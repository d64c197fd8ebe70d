// The rules for a libpq connection string that the module (trace_db, at
// configuration time) and trace-ctl (--db, database) both apply, without
// connecting.

#ifndef TRACE_COMMON_CONNINFO_HPP
#define TRACE_COMMON_CONNINFO_HPP

#include <optional>
#include <string>

namespace trace {

// Why the string cannot be used, in one line; nothing when it can. libpq's own
// parse errors, and a password, which would be readable in nginx.conf or in
// ps: libpq's passfile is the place for it.
std::optional<std::string> conninfo_problem(const std::string &conninfo);

}  // namespace trace

#endif
