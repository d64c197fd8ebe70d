// The one way in from C. Every extern "C" entry of the core runs its body
// through guarded(), which catches everything: a C++ exception that reached
// nginx's C frames would end the worker. What went wrong goes where the entry
// reports errors (a caller's err buffer, the exporter's log, or nowhere when
// the error value says all), and the entry returns its error value.

#ifndef TRACE_CORE_GUARD_HPP
#define TRACE_CORE_GUARD_HPP

#include "errbuf.hpp"

#include <cstddef>
#include <exception>
#include <string_view>

namespace trace {

// Reporters: callables taking the exception's text; they must not throw.
struct NoReport {
    void operator()(std::string_view) const noexcept {}
};

struct ToErrBuf {
    char *buf;
    std::size_t len;
    void operator()(std::string_view message) const noexcept { write_error(buf, len, message); }
};

constexpr std::string_view unknown_exception = "unknown exception";

// Returns body(), or `fallback` (made of body's type) when body threw anything.
template <typename Report, typename Fallback, typename Body>
auto guarded(const Report &report, Fallback fallback, Body &&body) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const std::exception &e) {
        report(e.what());
    } catch (...) {
        report(unknown_exception);
    }
    return fallback;
}

// The same for an entry that returns nothing.
template <typename Report, typename Body>
void guarded(const Report &report, Body &&body) noexcept {
    try {
        body();
    } catch (const std::exception &e) {
        report(e.what());
    } catch (...) {
        report(unknown_exception);
    }
}

}  // namespace trace

#endif
