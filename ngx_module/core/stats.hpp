// Updating trace_stats_t: plain counters that may live in shared memory and
// are read by other processes (the status handler of any worker), so every
// access is atomic; the error text is guarded by a sequence counter.

#ifndef TRACE_CORE_STATS_HPP
#define TRACE_CORE_STATS_HPP

#include "trace_core.h"

#include <cstdint>
#include <ctime>
#include <cstring>
#include <string>
#include <string_view>

namespace trace {

inline void stat_add(std::uint64_t &field, std::uint64_t n) {
    __atomic_fetch_add(&field, n, __ATOMIC_RELAXED);
}

inline void stat_sub(std::uint64_t &field, std::uint64_t n) {
    __atomic_fetch_sub(&field, n, __ATOMIC_RELAXED);
}

inline void stat_set(std::uint64_t &field, std::uint64_t v) {
    __atomic_store_n(&field, v, __ATOMIC_RELAXED);
}

inline std::uint64_t stat_get(const std::uint64_t &field) {
    return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

// Only the sender thread writes the error; readers use stat_read_error.
inline void stat_set_error(trace_stats_t &s, std::string_view message) {
    __atomic_fetch_add(&s.error_seq, 1, __ATOMIC_ACQ_REL);  // odd: being written
    std::size_t n = std::min(message.size(), sizeof(s.last_error) - 1);
    for (std::size_t i = 0; i < n; ++i) {
        __atomic_store_n(&s.last_error[i], message[i], __ATOMIC_RELAXED);
    }
    __atomic_store_n(&s.last_error[n], '\0', __ATOMIC_RELAXED);
    __atomic_store_n(&s.last_error_time, static_cast<std::uint64_t>(std::time(nullptr)),
                     __ATOMIC_RELAXED);
    __atomic_fetch_add(&s.error_seq, 1, __ATOMIC_ACQ_REL);  // even: done
}

// A consistent copy of the last error ("" when none or while being written).
inline std::string stat_read_error(const trace_stats_t &s) {
    for (int attempt = 0; attempt < 4; ++attempt) {
        std::uint64_t before = __atomic_load_n(&s.error_seq, __ATOMIC_ACQUIRE);
        if (before & 1) {
            continue;
        }
        char copy[sizeof(s.last_error)];
        for (std::size_t i = 0; i < sizeof(copy); ++i) {
            copy[i] = __atomic_load_n(&s.last_error[i], __ATOMIC_RELAXED);
        }
        copy[sizeof(copy) - 1] = '\0';
        if (__atomic_load_n(&s.error_seq, __ATOMIC_ACQUIRE) == before) {
            return copy;
        }
    }
    return {};
}

}  // namespace trace

#endif
