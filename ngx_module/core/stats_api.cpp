// The C API for reading counters from the shim (the status handler).

#include "guard.hpp"
#include "stats.hpp"
#include "trace_core.h"

#include <cstring>

extern "C" uint64_t trace_stats_get(const uint64_t *counter) {
    return trace::guarded(trace::NoReport{}, 0, [&] { return trace::stat_get(*counter); });
}

// "" when it cannot be read.
extern "C" size_t trace_stats_read_error(const trace_stats_t *stats, char *buf, size_t len) {
    if (len == 0) {
        return 0;
    }
    buf[0] = '\0';
    return trace::guarded(trace::NoReport{}, 0, [&] {
        std::string error = trace::stat_read_error(*stats);
        size_t n = std::min(error.size(), len - 1);
        std::memcpy(buf, error.data(), n);
        buf[n] = '\0';
        return n;
    });
}
