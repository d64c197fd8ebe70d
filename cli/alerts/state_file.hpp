// The state file of check-resources on disk: a private directory (0750), the
// file itself 0600, replaced atomically (temporary file, fsync, rename), and a
// lock beside it so that runs started at the same moment take turns.

#ifndef TRACE_CTL_ALERTS_STATE_FILE_HPP
#define TRACE_CTL_ALERTS_STATE_FILE_HPP

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace trace_ctl {

class StateFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An exclusive flock on "<state file>.lock", held until destruction. Creates
// the state file's directory (0750) when it is missing.
class StateLock {
public:
    // Waits up to `wait` for another run to finish; throws StateFileError then.
    StateLock(const std::string &state_path, std::chrono::milliseconds wait);
    ~StateLock();
    StateLock(const StateLock &) = delete;
    StateLock &operator=(const StateLock &) = delete;

private:
    int fd_ = -1;
};

// The file's text, or nothing when it does not exist yet. Refuses a symbolic
// link. Throws StateFileError.
std::optional<std::string> read_state_file(const std::string &path);

// Replaces the file with `text`, atomically, mode 0600. Throws StateFileError.
void write_state_file(const std::string &path, const std::string &text);

// The directory part of a path ("." for a bare name).
std::string directory_of(const std::string &path);

}  // namespace trace_ctl

#endif
