#include "alerts/state_file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace trace_ctl;

namespace {

class StateFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/state-file-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    static mode_t mode_of(const std::string &path) {
        struct stat st {};
        EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
        return st.st_mode & 07777;
    }
    std::string dir_;
};

}  // namespace

TEST_F(StateFileTest, MissingFileIsNothing) {
    EXPECT_FALSE(read_state_file(dir_ + "/none.json"));
}

TEST_F(StateFileTest, WritesAtomicallyWithPrivateModes) {
    ::umask(022);
    std::string path = dir_ + "/a/b/state.json";
    write_state_file(path, "first");
    write_state_file(path, "second");
    EXPECT_EQ(read_state_file(path).value_or(""), "second");
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(dir_ + "/a/b"), 0750u);
    EXPECT_EQ(mode_of(dir_ + "/a"), 0750u);
    // No temporary files are left behind.
    auto entries = std::filesystem::directory_iterator(dir_ + "/a/b");
    EXPECT_EQ(std::distance(std::filesystem::begin(entries), std::filesystem::end(entries)), 1);
}

TEST_F(StateFileTest, RefusesToReadThroughASymlink) {
    std::string target = dir_ + "/elsewhere";
    std::ofstream(target) << "{}";
    ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/state.json").c_str()), 0);
    EXPECT_THROW(read_state_file(dir_ + "/state.json"), StateFileError);
}

TEST_F(StateFileTest, ReplacesASymlinkInsteadOfWritingThroughIt) {
    std::string target = dir_ + "/victim";
    std::ofstream(target) << "precious";
    ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/state.json").c_str()), 0);
    write_state_file(dir_ + "/state.json", "state");
    std::ifstream victim(target);
    std::string content((std::istreambuf_iterator<char>(victim)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "precious");
    EXPECT_EQ(read_state_file(dir_ + "/state.json").value_or(""), "state");
}

TEST_F(StateFileTest, LockIsExclusiveAndWaitsOnlyAsLongAsAsked) {
    std::string path = dir_ + "/new/state.json";
    StateLock first(path, std::chrono::milliseconds(0));
    EXPECT_EQ(mode_of(path + ".lock"), 0600u);
    // flock locks belong to open file descriptions: a second open in this
    // process competes like another process would.
    auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(StateLock(path, std::chrono::milliseconds(300)), StateFileError);
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, std::chrono::milliseconds(300));
    EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(StateFileTest, LockIsFreeAgainAfterTheHolderIsGone) {
    std::string path = dir_ + "/state.json";
    { StateLock first(path, std::chrono::milliseconds(0)); }
    EXPECT_NO_THROW(StateLock(path, std::chrono::milliseconds(0)));
}

TEST(DirectoryOf, Paths) {
    EXPECT_EQ(directory_of("/var/lib/nginx-trace/state.json"), "/var/lib/nginx-trace");
    EXPECT_EQ(directory_of("/state.json"), "/");
    EXPECT_EQ(directory_of("state.json"), ".");
}
