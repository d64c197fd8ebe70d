#include "trace_core.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string hash(const std::string &key, const std::string &token) {
    char out[TRACE_SESSION_HASH_LEN];
    trace_session_hash(reinterpret_cast<const unsigned char *>(key.data()), key.size(),
                       reinterpret_cast<const unsigned char *>(token.data()), token.size(), out);
    return std::string(out, sizeof(out));
}

std::string write_temp(const std::string &content, mode_t mode) {
    char path[] = "/tmp/trace-key-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
    chmod(path, mode);
    return path;
}

}  // namespace

TEST(SessionHash, IsHmacSha256CutTo128Bits) {
    // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?")
    EXPECT_EQ(hash("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c7");
}

TEST(SessionHash, SameTokenSameHashOtherKeyOtherHash) {
    std::string key(32, 'k');
    EXPECT_EQ(hash(key, "abc"), hash(key, "abc"));
    EXPECT_NE(hash(key, "abc"), hash(key, "abd"));
    EXPECT_NE(hash(key, "abc"), hash(std::string(32, 'j'), "abc"));
    EXPECT_EQ(hash(key, "").size(), 32u);
}

TEST(SessionHash, KeyFileIsTrimmedAndChecked) {
    unsigned char key[TRACE_SESSION_KEY_MAX];
    char err[256];
    std::string good = write_temp("0123456789abcdef0123\n", 0600);
    EXPECT_EQ(trace_session_key_read(good.c_str(), key, sizeof(key), err, sizeof(err)), 20);
    EXPECT_EQ(std::string(reinterpret_cast<char *>(key), 20), "0123456789abcdef0123");

    std::string shorty = write_temp("short\n", 0600);
    EXPECT_EQ(trace_session_key_read(shorty.c_str(), key, sizeof(key), err, sizeof(err)), -1);
    EXPECT_NE(std::string(err).find("shorter than 16"), std::string::npos);

    std::string open = write_temp("0123456789abcdef0123\n", 0644);
    EXPECT_EQ(trace_session_key_read(open.c_str(), key, sizeof(key), err, sizeof(err)), -1);
    EXPECT_NE(std::string(err).find("readable by others"), std::string::npos);

    EXPECT_EQ(trace_session_key_read("/nonexistent/key", key, sizeof(key), err, sizeof(err)), -1);
    EXPECT_NE(std::string(err).find("No such file"), std::string::npos);
    unlink(good.c_str());
    unlink(shorty.c_str());
    unlink(open.c_str());
}

TEST(SessionHash, MatchesOpenSslHmacForAnyKeyAndToken) {
    // The cached inner/outer states must give exactly HMAC(): keys shorter
    // and longer than the block, switching keys, empty tokens.
    unsigned int seed = 42;
    for (int round = 0; round < 500; ++round) {
        std::string key(1 + rand_r(&seed) % 200, '\0');
        std::string token(rand_r(&seed) % 100, '\0');
        for (auto &c : key) c = static_cast<char>(rand_r(&seed));
        for (auto &c : token) c = static_cast<char>(rand_r(&seed));
        unsigned char digest[64];
        unsigned int n = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char *>(token.data()), token.size(), digest, &n);
        static const char hex[] = "0123456789abcdef";
        std::string want;
        for (int i = 0; i < 16; ++i) {
            want += hex[digest[i] >> 4];
            want += hex[digest[i] & 0xf];
        }
        EXPECT_EQ(hash(key, token), want) << "round " << round;
        EXPECT_EQ(hash(key, token), want) << "round " << round << " (cached key)";
    }
}

TEST(SessionHash, Rfc4231LongKey) {
    // Test case 6: a 131-byte key, longer than SHA-256's block.
    EXPECT_EQ(hash(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f");
}
