// The disk spool: batches that cannot be sent now are appended to files of
// this worker's own under trace_spool's directory, replayed oldest first once
// PostgreSQL answers, and removed when every batch in them has committed.
// Files left by workers that are gone (crash, restart, reload) are claimed with
// flock() and replayed as well. Used by the sender thread only.

#ifndef TRACE_CORE_SPOOL_HPP
#define TRACE_CORE_SPOOL_HPP

#include "batch.hpp"
#include "deadline.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

namespace trace {

struct SpoolConfig {
    std::string dir;
    std::uint64_t max_size = 1024ULL * 1024 * 1024;   // all spool files in dir
    std::uint64_t segment_size = 8 * 1024 * 1024;      // a new file after this much
};

class Spool {
public:
    using Notice = std::function<void(int level, const std::string &)>;

    Spool(SpoolConfig config, Notice notice);
    ~Spool();
    Spool(const Spool &) = delete;
    Spool &operator=(const Spool &) = delete;

    // Adds a batch behind everything spooled. false: full or not writable;
    // error() says why, and nothing was written.
    bool append(const Batch &batch);

    // Whether batches wait to be replayed (own files or claimed ones).
    bool has_backlog() const { return !files_.empty(); }

    // The oldest waiting batch. Corrupt or torn data is reported and skipped.
    bool peek(Batch &batch);
    // The batch from peek() is committed: move past it.
    void advance();

    // Claims files of workers that are gone. Cheap when there are none.
    void claim_orphans();

    // Whether this process can write in the directory: a file made and
    // removed there. false: error() says why.
    bool probe();

    // false since the last write that failed for another reason than a full
    // spool (no permission, no space, no directory); true again after one
    // that succeeded.
    bool writable() const { return writable_; }

    // Bytes of spool files in the directory (an estimate between scans).
    std::uint64_t bytes() const { return dir_bytes_; }
    const std::string &error() const { return error_; }

    // Syncs and closes every file, keeping them for the next process, with a
    // note of where a half-replayed file's replay stopped.
    void close();

private:
    struct File {
        std::string path;
        int fd = -1;
        std::uint64_t size = 0;      // bytes in the file
        std::uint64_t read_at = 0;   // the next record to replay
        bool appending = false;      // this worker's current file
    };

    bool open_new_file();
    void seal(File &f);
    void finish_front(const char *why);
    void quarantine_front(const std::string &why);
    bool known(const std::string &path) const;
    void rescan_size();

    SpoolConfig config_;
    Notice notice_;
    std::deque<File> files_;         // replay order; the appending file is last
    std::uint64_t dir_bytes_ = 0;
    Clock::time_point size_scanned_{};
    std::uint64_t file_sequence_ = 0;
    std::size_t peeked_length_ = 0;
    bool writable_ = true;
    std::string error_;
};

}  // namespace trace

#endif
