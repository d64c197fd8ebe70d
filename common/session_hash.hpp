// The keyed hash that stands in for session tokens, and the file its key is
// read from: the module hashes the tokens it sees, trace-ctl hashes the one a
// person gives (requests --session-token) to find the same rows.

#ifndef TRACE_COMMON_SESSION_HASH_HPP
#define TRACE_COMMON_SESSION_HASH_HPP

#include "trace_contract.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trace {

class SessionKeyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads a key file into key (at least TRACE_SESSION_KEY_MIN and at most
// min(keysize, TRACE_SESSION_KEY_MAX) bytes): its content without trailing
// white space. Refuses a file that others may read. Returns the key's length;
// throws SessionKeyError "PATH: why". Nothing of the key is left anywhere but
// in `key`.
std::size_t read_session_key(const std::string &path, unsigned char *key, std::size_t keysize);

// HMAC-SHA256(key, token) cut to 128 bits, as TRACE_SESSION_HASH_LEN lowercase
// hex digits written to out (no NUL). false, out untouched, when OpenSSL
// failed. May throw std::bad_alloc.
bool session_hash(std::string_view key, std::string_view token, char *out);

}  // namespace trace

#endif
