// The keyed hash that stands in for session tokens, and its key file.

#include "trace_core.h"

#include "errbuf.hpp"

#include <openssl/hmac.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

extern "C" int trace_session_key_read(const char *path, unsigned char *key, size_t keysize,
                                      char *err, size_t errlen) {
    std::string where = std::string(path) + ": ";
    int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        trace::write_error(err, errlen, where + std::strerror(errno));
        return -1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        trace::write_error(err, errlen, where + "not a regular file");
        return -1;
    }
    if (st.st_mode & S_IROTH) {
        ::close(fd);
        trace::write_error(err, errlen,
                           where + "the session key must not be readable by others "
                                   "(chmod o-r)");
        return -1;
    }
    unsigned char buf[TRACE_SESSION_KEY_MAX + 2];
    size_t len = 0;
    while (len < sizeof(buf)) {
        ssize_t n = ::read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            ::close(fd);
            trace::write_error(err, errlen, where + std::strerror(e));
            return -1;
        }
        if (n == 0) {
            break;
        }
        len += static_cast<size_t>(n);
    }
    ::close(fd);
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
    OPENSSL_cleanse(buf, sizeof(buf));
    return static_cast<int>(len);
}

extern "C" void trace_session_hash(const unsigned char *key, size_t keylen,
                                   const unsigned char *token, size_t tokenlen, char *out) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    static const unsigned char empty = 0;
    HMAC(EVP_sha256(), key, static_cast<int>(keylen), tokenlen ? token : &empty, tokenlen,
         digest, &digest_len);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < TRACE_SESSION_HASH_LEN / 2; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
}
