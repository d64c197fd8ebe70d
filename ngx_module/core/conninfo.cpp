// The C API of the trace_db check (common/conninfo.hpp), at configuration time.

#include "trace_core.h"

#include "common/conninfo.hpp"
#include "errbuf.hpp"
#include "guard.hpp"

extern "C" int trace_conninfo_check(const char *conninfo, char *err, size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, -1, [&] {
        std::optional<std::string> problem = trace::conninfo_problem(conninfo);
        if (problem) {
            trace::write_error(err, errlen, *problem);
            return -1;
        }
        return 0;
    });
}
