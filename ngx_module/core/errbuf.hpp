// Copying a message into a caller's fixed C buffer, as the C API reports errors.

#ifndef TRACE_CORE_ERRBUF_HPP
#define TRACE_CORE_ERRBUF_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace trace {

inline void write_error(char *buf, std::size_t len, std::string_view message) {
    if (buf == nullptr || len == 0) {
        return;
    }
    std::size_t n = message.size() < len - 1 ? message.size() : len - 1;
    std::memcpy(buf, message.data(), n);
    buf[n] = '\0';
}

}  // namespace trace

#endif
