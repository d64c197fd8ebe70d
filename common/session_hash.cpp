#include "common/session_hash.hpp"

#include "common/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace trace {

namespace {

// Closes a descriptor and wipes key bytes whatever way the reading ends.
struct KeyFile {
    int fd;
    unsigned char buf[TRACE_SESSION_KEY_MAX + 2];
    ~KeyFile() {
        if (fd >= 0) {
            ::close(fd);
        }
        OPENSSL_cleanse(buf, sizeof(buf));
    }
};

bool trailing_space(unsigned char c) {
    return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

}  // namespace

std::size_t read_session_key(const std::string &path, unsigned char *key, std::size_t keysize) {
    auto fail = [&path](const std::string &why) { return SessionKeyError(path + ": " + why); };
    KeyFile file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW), {}};
    if (file.fd < 0) {
        throw fail(std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        throw fail("not a regular file");
    }
    if (st.st_mode & S_IROTH) {
        throw fail("the session key must not be readable by others (chmod o-r)");
    }
    std::size_t len = 0;
    while (len < sizeof(file.buf)) {
        ssize_t n = ::read(file.fd, file.buf + len, sizeof(file.buf) - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw fail(std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        len += static_cast<std::size_t>(n);
    }
    while (len > 0 && trailing_space(file.buf[len - 1])) {
        --len;
    }
    if (len > TRACE_SESSION_KEY_MAX || len > keysize) {
        throw fail("the session key is longer than " + std::to_string(TRACE_SESSION_KEY_MAX) +
                   " bytes");
    }
    if (len < TRACE_SESSION_KEY_MIN) {
        throw fail("the session key is shorter than " + std::to_string(TRACE_SESSION_KEY_MIN) +
                   " bytes (e.g. openssl rand -hex 32 > FILE)");
    }
    std::memcpy(key, file.buf, len);
    return len;
}

namespace {

// HMAC-SHA256 through OpenSSL's EVP_MAC, with one context per thread that
// keeps its key: initialised again with the same key, it starts from the
// key's prepared states, several times faster than a one-shot HMAC(), and
// this runs for every request that has a session. One key per process is the
// common case, so one cached key per thread is enough.
class KeyedMac {
public:
    KeyedMac() {
        EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        ctx_ = mac ? EVP_MAC_CTX_new(mac) : nullptr;
        EVP_MAC_free(mac);  // the context holds a reference of its own
    }
    ~KeyedMac() {
        EVP_MAC_CTX_free(ctx_);
        OPENSSL_cleanse(key_.data(), key_.size());
    }
    KeyedMac(const KeyedMac &) = delete;
    KeyedMac &operator=(const KeyedMac &) = delete;

    // false when OpenSSL could not do it (the caller falls back to HMAC()).
    bool mac(const unsigned char *key, std::size_t keylen, const unsigned char *data,
             std::size_t len, unsigned char out[32]) {
        if (ctx_ == nullptr) {
            return false;
        }
        if (ready_ && key_.size() == keylen && std::memcmp(key_.data(), key, keylen) == 0) {
            if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) {
                return false;
            }
        } else {
            ready_ = false;
            char digest[] = "SHA256";
            OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                   OSSL_PARAM_construct_end()};
            if (EVP_MAC_init(ctx_, key, keylen, params) != 1) {
                return false;
            }
            OPENSSL_cleanse(key_.data(), key_.size());
            key_.assign(key, key + keylen);
            ready_ = true;
        }
        std::size_t n = 0;
        return EVP_MAC_update(ctx_, data, len) == 1 && EVP_MAC_final(ctx_, out, &n, 32) == 1 &&
               n == 32;
    }

private:
    EVP_MAC_CTX *ctx_;
    std::vector<unsigned char> key_;
    bool ready_ = false;
};

}  // namespace

bool session_hash(std::string_view key_text, std::string_view token_text, char *out) {
    static const unsigned char empty = 0;
    // A null key would mean "the key set before" to EVP_MAC_init.
    auto bytes = [](std::string_view s) {
        return s.empty() ? &empty : reinterpret_cast<const unsigned char *>(s.data());
    };
    const unsigned char *key = bytes(key_text);
    const unsigned char *token = bytes(token_text);
    unsigned char digest[EVP_MAX_MD_SIZE];
    thread_local KeyedMac hasher;
    if (!hasher.mac(key, key_text.size(), token, token_text.size(), digest)) {
        unsigned int digest_len = 0;
        if (HMAC(EVP_sha256(), key, static_cast<int>(key_text.size()), token, token_text.size(),
                 digest, &digest_len) == nullptr) {
            return false;
        }
    }
    write_hex(out, digest, TRACE_SESSION_HASH_LEN / 2);
    return true;
}

}  // namespace trace
