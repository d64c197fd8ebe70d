// Reading the small files check-resources depends on (/proc files, the state
// file, the SMTP password file), with errors that name the file.

#ifndef TRACE_CTL_APP_FILES_HPP
#define TRACE_CTL_APP_FILES_HPP

#include <sys/stat.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace trace_ctl {

// A file that could not be read; the message names it and says why.
class FileError : public std::runtime_error {
public:
    FileError(const std::string &message, int error_number)
        : std::runtime_error(message), errno_(error_number) {}
    int error_number() const { return errno_; }

private:
    int errno_;
};

struct FileContents {
    std::string text;
    struct stat st {};
};

// Reads a whole file (at most `limit` bytes; more is an error). Symbolic links
// are refused when `follow_links` is false. Throws FileError.
FileContents read_file(const std::string &path, bool follow_links = true,
                       std::size_t limit = 1 << 20);

// The same, but nothing when the file does not exist.
std::optional<FileContents> read_file_if_exists(const std::string &path, bool follow_links = true,
                                                std::size_t limit = 1 << 20);

}  // namespace trace_ctl

#endif
