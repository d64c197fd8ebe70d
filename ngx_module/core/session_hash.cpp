// The keyed hash that stands in for session tokens, and its key file.

#include "trace_core.h"

#include "errbuf.hpp"
#include "guard.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

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

}  // namespace

extern "C" int trace_session_key_read(const char *path, unsigned char *key, size_t keysize,
                                      char *err, size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, -1, [&] {
        std::string where = std::string(path) + ": ";
        KeyFile file{::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), {}};
        int fd = file.fd;
        unsigned char *buf = file.buf;
        if (fd < 0) {
            trace::write_error(err, errlen, where + std::strerror(errno));
            return -1;
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            trace::write_error(err, errlen, where + "not a regular file");
            return -1;
        }
        if (st.st_mode & S_IROTH) {
            trace::write_error(err, errlen,
                               where + "the session key must not be readable by others "
                                       "(chmod o-r)");
            return -1;
        }
        size_t len = 0;
        while (len < sizeof(file.buf)) {
            ssize_t n = ::read(fd, buf + len, sizeof(file.buf) - len);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                trace::write_error(err, errlen, where + std::strerror(errno));
                return -1;
            }
            if (n == 0) {
                break;
            }
            len += static_cast<size_t>(n);
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
                           buf[len - 1] == '\t')) {
            --len;
        }
        if (len > TRACE_SESSION_KEY_MAX || len > keysize) {
            trace::write_error(err, errlen,
                               where + "the session key is longer than " +
                                   std::to_string(TRACE_SESSION_KEY_MAX) + " bytes");
            return -1;
        }
        if (len < TRACE_SESSION_KEY_MIN) {
            trace::write_error(err, errlen,
                               where + "the session key is shorter than " +
                                   std::to_string(TRACE_SESSION_KEY_MIN) +
                                   " bytes (e.g. openssl rand -hex 32 > FILE)");
            return -1;
        }
        std::memcpy(key, buf, len);
        return static_cast<int>(len);
    });
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
    bool mac(const unsigned char *key, size_t keylen, const unsigned char *data, size_t len,
             unsigned char out[32]) {
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
        size_t n = 0;
        return EVP_MAC_update(ctx_, data, len) == 1 && EVP_MAC_final(ctx_, out, &n, 32) == 1 &&
               n == 32;
    }

private:
    EVP_MAC_CTX *ctx_;
    std::vector<unsigned char> key_;
    bool ready_ = false;
};

}  // namespace

extern "C" int trace_session_hash(const unsigned char *key, size_t keylen,
                                  const unsigned char *token, size_t tokenlen, char *out) {
    return trace::guarded(trace::NoReport{}, -1, [&] {
        static const unsigned char empty = 0;
        const unsigned char *data = tokenlen ? token : &empty;
        key = keylen ? key : &empty;  // a null key would mean "the key set before"
        unsigned char digest[EVP_MAX_MD_SIZE];
        thread_local KeyedMac hasher;
        if (!hasher.mac(key, keylen, data, tokenlen, digest)) {
            unsigned int digest_len = 0;
            if (HMAC(EVP_sha256(), key, static_cast<int>(keylen), data, tokenlen, digest,
                     &digest_len) == nullptr) {
                return -1;
            }
        }
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < TRACE_SESSION_HASH_LEN / 2; ++i) {
            out[2 * i] = hex[digest[i] >> 4];
            out[2 * i + 1] = hex[digest[i] & 0xf];
        }
        return 0;
    });
}
