// Reading the small files check-resources depends on (/proc files, the state
// file, the SMTP password file), and replacing the files it writes (the state
// file, the textfile), with errors that name the file.

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

// Replaces `path` with `text` so that a reader sees the old file or the new
// one, never part of either: written to a new file made from `temp_template`
// (ending in XXXXXX, in the same directory; mkstemp, so O_EXCL: no one else's
// file or link is ever written to), given `mode`, synced, then renamed over
// `path`, and the directory synced. The temporary file is removed on failure.
// Throws FileError, "cannot write PATH: reason".
void replace_file(const std::string &path, const std::string &temp_template,
                  const std::string &text, mode_t mode);

}  // namespace trace_ctl

#endif
