// The C API of the session hash and its key file (common/session_hash.hpp),
// for the shim: the key is read at configuration time, tokens are hashed in
// the log phase.

#include "trace_core.h"

#include "common/session_hash.hpp"
#include "guard.hpp"

extern "C" int trace_session_key_read(const char *path, unsigned char *key, size_t keysize,
                                      char *err, size_t errlen) {
    // A SessionKeyError ("PATH: why") is the guard's to report, as any other.
    return trace::guarded(trace::ToErrBuf{err, errlen}, -1, [&] {
        return static_cast<int>(trace::read_session_key(path, key, keysize));
    });
}

extern "C" int trace_session_hash(const unsigned char *key, size_t keylen,
                                  const unsigned char *token, size_t tokenlen, char *out) {
    return trace::guarded(trace::NoReport{}, -1, [&] {
        auto text = [](const unsigned char *p, size_t n) {
            return std::string_view(reinterpret_cast<const char *>(p), p ? n : 0);
        };
        return trace::session_hash(text(key, keylen), text(token, tokenlen), out) ? 0 : -1;
    });
}
