// Messages from libpq, libesmtp and servers end in newlines, span lines and
// indent with tabs; a log line or an error line wants them on one line.

#ifndef TRACE_COMMON_ONE_LINE_HPP
#define TRACE_COMMON_ONE_LINE_HPP

#include <string>
#include <string_view>

namespace trace {

// Each run of white space (newline, carriage return, tab, space) becomes one
// space; none is left at the end.
std::string one_line(std::string_view message);

}  // namespace trace

#endif
