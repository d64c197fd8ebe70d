// common/: what the module and trace-ctl share, through its C++ API (the core's
// C API over it is tested in t/unit/core).

#include "common/conninfo.hpp"
#include "common/hex.hpp"
#include "common/one_line.hpp"
#include "common/session_hash.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string cxx_hash(const std::string &key, const std::string &token) {
    char out[TRACE_SESSION_HASH_LEN];
    EXPECT_TRUE(trace::session_hash(key, token, out));
    return std::string(out, sizeof(out));
}

}  // namespace

TEST(CommonOneLine, EveryRunOfWhiteSpaceIsOneSpace) {
    EXPECT_EQ(trace::one_line("ERROR:  relation \"x\" does not exist\nLINE 1: SELECT\n\t^\n"),
              "ERROR: relation \"x\" does not exist LINE 1: SELECT ^");
    EXPECT_EQ(trace::one_line("\n\r\t "), "");
    EXPECT_EQ(trace::one_line("one"), "one");
}

TEST(CommonHex, TwoLowercaseDigitsPerByteMostSignificantFirst) {
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    EXPECT_EQ(trace::to_hex(bytes, sizeof(bytes)), "000fa5ff");
    EXPECT_EQ(trace::to_hex(bytes, 0), "");
}

TEST(CommonConninfo, PasswordAndParseErrorsAreProblems) {
    EXPECT_FALSE(trace::conninfo_problem("host=/run/postgresql dbname=trace"));
    EXPECT_NE(trace::conninfo_problem("password=x").value_or("").find("passfile"),
              std::string::npos);
    EXPECT_EQ(trace::conninfo_problem("host='unterminated").value_or(""),
              "unterminated quoted string in connection info string");
}

TEST(CommonSessionHash, IsHmacSha256CutTo128Bits) {
    // RFC 4231 test case 2; the C API over it (t/unit/core) gives the same.
    EXPECT_EQ(cxx_hash("Jefe", "what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c7");
    // An empty key or token is hashed too, not taken for "none".
    EXPECT_EQ(cxx_hash("", "").size(), 32u);
    EXPECT_NE(cxx_hash("", ""), cxx_hash(std::string(16, 'k'), ""));
}

TEST(CommonSessionHash, KeyFileErrorsNameTheFile) {
    unsigned char key[TRACE_SESSION_KEY_MAX];
    try {
        trace::read_session_key("/nonexistent/key", key, sizeof(key));
        FAIL() << "no error";
    } catch (const trace::SessionKeyError &e) {
        EXPECT_EQ(std::string(e.what()), "/nonexistent/key: No such file or directory");
    }
    char path[] = "/tmp/trace-common-key-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string content = "0123456789abcdef0123\n";
    ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
    chmod(path, 0600);
    EXPECT_EQ(trace::read_session_key(path, key, sizeof(key)), 20u);
    EXPECT_EQ(std::string(reinterpret_cast<char *>(key), 20), "0123456789abcdef0123");
    EXPECT_THROW(trace::read_session_key(path, key, 19), trace::SessionKeyError);
    unlink(path);
}
