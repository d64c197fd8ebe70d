#include "alerts/state_file.hpp"

#include "app/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace trace_ctl {

namespace {

// With the trend's samples a state file holds about 3 KB per filesystem; this
// leaves room for thousands.
constexpr std::size_t state_file_limit = 16 << 20;

[[noreturn]] void fail(const std::string &what, const std::string &path, int err) {
    throw StateFileError(what + " " + path + ": " + std::strerror(err));
}

// mkdir -p with mode 0750 for every directory it creates.
void make_directories(const std::string &dir) {
    struct stat st {};
    if (dir.empty() || ::stat(dir.c_str(), &st) == 0) {
        return;
    }
    std::string parent = directory_of(dir);
    if (parent != dir) {
        make_directories(parent);
    }
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
        fail("cannot create the state directory", dir, errno);
    }
}


}  // namespace

std::string directory_of(const std::string &path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    if (slash == 0) {
        return "/";
    }
    return path.substr(0, slash);
}

StateLock::StateLock(const std::string &state_path, std::chrono::milliseconds wait) {
    make_directories(directory_of(state_path));
    std::string lock_path = state_path + ".lock";
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
        fail("cannot open the lock file", lock_path, errno);
    }
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err != EWOULDBLOCK && err != EINTR) {
            ::close(fd_);
            fail("cannot lock", lock_path, err);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(fd_);
            throw StateFileError("another check-resources has held " + lock_path + " for " +
                                 std::to_string(wait.count() / 1000) + " s; giving up");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

StateLock::~StateLock() {
    if (fd_ >= 0) {
        ::close(fd_);  // releases the flock
    }
}

std::optional<std::string> read_state_file(const std::string &path) {
    try {
        std::optional<FileContents> contents =
            read_file_if_exists(path, /*follow_links=*/false, state_file_limit);
        if (!contents) {
            return std::nullopt;
        }
        return std::move(contents->text);
    } catch (const FileError &e) {
        throw StateFileError(std::string("state file: ") + e.what());
    }
}

void write_state_file(const std::string &path, const std::string &text) {
    std::string dir = directory_of(path);
    make_directories(dir);
    try {
        replace_file(path, path + ".XXXXXX", text, 0600);
    } catch (const FileError &e) {
        throw StateFileError(e.what());
    }
}

}  // namespace trace_ctl
