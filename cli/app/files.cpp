#include "app/files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <vector>

namespace trace_ctl {

namespace {

[[noreturn]] void fail(const std::string &path, int err) {
    throw FileError("cannot read " + path + ": " + std::strerror(err), err);
}

// Closes the descriptor on every way out.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

}  // namespace

std::optional<FileContents> read_file_if_exists(const std::string &path, bool follow_links,
                                                std::size_t limit) {
    int flags = O_RDONLY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW);
    Fd file{::open(path.c_str(), flags)};
    if (file.fd < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        fail(path, errno);
    }
    FileContents out;
    if (::fstat(file.fd, &out.st) != 0) {
        fail(path, errno);
    }
    if (!S_ISREG(out.st.st_mode)) {
        throw FileError("cannot read " + path + ": not a regular file", EINVAL);
    }
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(file.fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail(path, errno);
        }
        if (n == 0) {
            break;
        }
        out.text.append(buf, static_cast<size_t>(n));
        if (out.text.size() > limit) {
            throw FileError("cannot read " + path + ": larger than " + std::to_string(limit) +
                                " bytes",
                            EFBIG);
        }
    }
    return out;
}

FileContents read_file(const std::string &path, bool follow_links, std::size_t limit) {
    std::optional<FileContents> contents = read_file_if_exists(path, follow_links, limit);
    if (!contents) {
        fail(path, ENOENT);
    }
    return std::move(*contents);
}

void replace_file(const std::string &path, const std::string &temp_template,
                  const std::string &text, mode_t mode) {
    auto failed = [&path](int err) {
        return FileError("cannot write " + path + ": " + std::strerror(err), err);
    };
    std::vector<char> temp(temp_template.begin(), temp_template.end());
    temp.push_back('\0');
    Fd file{::mkostemp(temp.data(), O_CLOEXEC)};
    if (file.fd < 0) {
        throw failed(errno);
    }
    std::string created(temp.data());
    try {
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(file.fd, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw failed(errno);
            }
            done += static_cast<size_t>(n);
        }
        if (::fchmod(file.fd, mode) != 0 || ::fsync(file.fd) != 0) {
            throw failed(errno);
        }
        int closed = ::close(file.fd);
        file.fd = -1;
        if (closed != 0) {
            throw failed(errno);
        }
        if (::rename(created.c_str(), path.c_str()) != 0) {
            throw failed(errno);
        }
    } catch (...) {
        ::unlink(created.c_str());
        throw;
    }
    // Make the rename itself durable.
    size_t slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    Fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir_fd.fd >= 0) {
        ::fsync(dir_fd.fd);
    }
}

}  // namespace trace_ctl
