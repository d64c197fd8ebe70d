#include "spool.hpp"

#include "spool_format.hpp"
#include "trace_core.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace trace {

namespace {

constexpr const char *file_prefix = "trace-";
constexpr const char *file_suffix = ".spool";

// Beside a file whose replay stopped when its worker exited: the offset of the
// first batch not yet committed, so that the next process resumes there instead
// of sending every earlier batch again (the ledger would refuse each one, at a
// round trip and an ERROR in PostgreSQL's log apiece). Only a hint: when it is
// missing or does not name the start of a record, replay starts from the top.
// Written at a graceful exit only; after a crash the ledger does the work.
constexpr const char *progress_suffix = ".replayed";

std::string progress_path(const std::string &spool_path) { return spool_path + progress_suffix; }

bool is_spool_name(const char *name) {
    std::size_t len = std::strlen(name);
    std::size_t plen = std::strlen(file_prefix), slen = std::strlen(file_suffix);
    return len > plen + slen && std::strncmp(name, file_prefix, plen) == 0 &&
           std::strcmp(name + len - slen, file_suffix) == 0;
}

std::string errno_text(const std::string &what) {
    return what + ": " + std::strerror(errno);
}

bool pread_all(int fd, char *buf, std::size_t len, std::uint64_t off) {
    while (len > 0) {
        ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= static_cast<std::size_t>(n);
        off += static_cast<std::uint64_t>(n);
    }
    return true;
}

bool pwrite_all(int fd, const char *buf, std::size_t len, std::uint64_t off) {
    while (len > 0) {
        ssize_t n = ::pwrite(fd, buf, len, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = ENOSPC;
            }
            return false;
        }
        buf += n;
        len -= static_cast<std::size_t>(n);
        off += static_cast<std::uint64_t>(n);
    }
    return true;
}

// Writes the hint atomically (a new file renamed over the old one); not synced:
// a hint lost in a machine crash only costs the duplicates it would have saved.
void save_progress(const std::string &spool_path, std::uint64_t offset) {
    std::string path = progress_path(spool_path), tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return;
    }
    std::string text = std::to_string(offset) + "\n";
    bool written = pwrite_all(fd, text.data(), text.size(), 0);
    ::close(fd);
    if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
    }
}

// The offset in the hint when it is the start of a record: the record headers
// are walked from the top (one small read per batch, no body is read) until the
// offset is reached, so a wrong hint can never make replay start mid-record.
// Otherwise, where replay always starts: just past the file's magic.
std::uint64_t resume_offset(const std::string &spool_path, int fd, std::uint64_t size) {
    const std::uint64_t top = spool_file_magic.size();
    int hint = ::open(progress_path(spool_path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (hint < 0) {
        return top;
    }
    // Decimal digits and a newline, nothing else.
    char text[24];
    ssize_t n = ::read(hint, text, sizeof(text));
    ::close(hint);
    std::size_t digits = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (digits > 0 && text[digits - 1] == '\n') {
        --digits;
    }
    if (digits == 0 || digits > 19) {
        return top;
    }
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return top;
        }
        offset = offset * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    if (offset <= top || offset >= size) {
        return top;
    }
    std::uint64_t at = top;
    char header[spool_record_header];
    while (at < offset && size - at >= sizeof(header) &&
           pread_all(fd, header, sizeof(header), at)) {
        std::size_t length = spool_record_length(std::string_view(header, sizeof(header)));
        if (length == 0) {
            break;
        }
        at += length;
    }
    return at == offset ? offset : top;
}

}  // namespace

Spool::Spool(SpoolConfig config, Notice notice)
    : config_(std::move(config)), notice_(std::move(notice)) {
    rescan_size();
    claim_orphans();
}

Spool::~Spool() { close(); }

void Spool::close() {
    for (File &f : files_) {
        if (f.appending) {
            seal(f);
        }
        if (f.fd >= 0 && f.read_at > spool_file_magic.size() && f.read_at < f.size) {
            save_progress(f.path, f.read_at);  // before the lock goes
        }
        if (f.fd >= 0) {
            ::close(f.fd);  // releases the lock: the file is anyone's to replay
            f.fd = -1;
        }
    }
    files_.clear();
}

bool Spool::known(const std::string &path) const {
    return std::any_of(files_.begin(), files_.end(),
                       [&path](const File &f) { return f.path == path; });
}

void Spool::rescan_size() {
    size_scanned_ = Clock::now();
    DIR *d = ::opendir(config_.dir.c_str());
    if (d == nullptr) {
        return;
    }
    std::uint64_t total = 0;
    while (dirent *e = ::readdir(d)) {
        if (!is_spool_name(e->d_name)) {
            continue;
        }
        struct stat st {};
        std::string path = config_.dir + "/" + e->d_name;
        if (::stat(path.c_str(), &st) == 0) {
            total += static_cast<std::uint64_t>(st.st_size);
        }
    }
    ::closedir(d);
    dir_bytes_ = total;
}

bool Spool::probe() {
    std::string path = config_.dir + "/.trace-probe-" + std::to_string(::getpid());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        // left by an earlier process of this pid that died between the two calls
        ::unlink(path.c_str());
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0) {
        error_ = errno_text("cannot create a file in " + config_.dir);
        writable_ = false;
        return false;
    }
    ::close(fd);
    if (::unlink(path.c_str()) != 0) {
        error_ = errno_text("cannot remove " + path);
        writable_ = false;
        return false;
    }
    writable_ = true;
    return true;
}

bool Spool::open_new_file() {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    // The time first, so that names sort oldest first across processes.
    char name[96];
    std::snprintf(name, sizeof(name), "%s%020lld-%d-%llu%s", file_prefix,
                  static_cast<long long>(now), static_cast<int>(::getpid()),
                  static_cast<unsigned long long>(++file_sequence_), file_suffix);
    File f;
    f.path = config_.dir + "/" + name;
    f.fd = ::open(f.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f.fd < 0) {
        error_ = errno_text("cannot create spool file " + f.path);
        writable_ = false;
        return false;
    }
    if (::flock(f.fd, LOCK_EX | LOCK_NB) != 0 ||
        !pwrite_all(f.fd, spool_file_magic.data(), spool_file_magic.size(), 0)) {
        error_ = errno_text("cannot write spool file " + f.path);
        writable_ = false;
        ::close(f.fd);
        ::unlink(f.path.c_str());
        return false;
    }
    f.size = spool_file_magic.size();
    f.read_at = f.size;
    f.appending = true;
    dir_bytes_ += f.size;
    files_.push_back(std::move(f));
    return true;
}

void Spool::seal(File &f) {
    // A process crash loses nothing that reached the page cache; a machine
    // crash may lose what was written since the last seal.
    if (f.fd >= 0) {
        ::fdatasync(f.fd);
    }
    f.appending = false;
}

bool Spool::append(const Batch &batch) {
    std::string record;
    encode_spool_record(record, batch);

    if (dir_bytes_ + record.size() > config_.max_size) {
        if (Clock::now() - size_scanned_ > Millis(1000)) {
            rescan_size();  // others' files may have gone
        }
        if (dir_bytes_ + record.size() > config_.max_size) {
            error_ = "the spool is full (" + std::to_string(dir_bytes_) + " of " +
                     std::to_string(config_.max_size) + " bytes in " + config_.dir + ")";
            return false;
        }
    }
    if ((files_.empty() || !files_.back().appending) && !open_new_file()) {
        return false;
    }
    File &f = files_.back();
    if (!pwrite_all(f.fd, record.data(), record.size(), f.size)) {
        error_ = errno_text("cannot write spool file " + f.path);
        writable_ = false;
        // Leave no torn record behind; a file that cannot grow is left as it is.
        if (::ftruncate(f.fd, static_cast<off_t>(f.size)) != 0) {
            seal(f);
        }
        return false;
    }
    f.size += record.size();
    dir_bytes_ += record.size();
    writable_ = true;
    if (f.size >= config_.segment_size) {
        seal(f);
    }
    return true;
}

void Spool::finish_front(const char *why) {
    File &f = files_.front();
    if (why != nullptr) {
        notice_(TRACE_LOG_WARN, "trace: spool file " + f.path + " " + why);
    }
    ::unlink(progress_path(f.path).c_str());  // first: a hint never outlives its file
    ::unlink(f.path.c_str());
    ::close(f.fd);
    dir_bytes_ -= std::min(dir_bytes_, f.size);
    files_.pop_front();
}

void Spool::quarantine_front(const std::string &why) {
    File &f = files_.front();
    std::string kept = f.path + ".corrupt";
    notice_(TRACE_LOG_ERR, "trace: spool file " + f.path + " is corrupt at offset " +
                               std::to_string(f.read_at) + " (" + why +
                               "); the rest of it is not replayed and is kept as " + kept);
    ::unlink(progress_path(f.path).c_str());
    ::rename(f.path.c_str(), kept.c_str());
    ::close(f.fd);
    dir_bytes_ -= std::min(dir_bytes_, f.size);
    files_.pop_front();
}

bool Spool::peek(Batch &batch) {
    while (!files_.empty()) {
        File &f = files_.front();
        if (f.appending) {
            seal(f);  // new batches go to a new file while this one is replayed
        }
        if (f.read_at >= f.size) {
            finish_front(nullptr);
            continue;
        }
        char header[spool_record_header];
        if (f.size - f.read_at < spool_record_header ||
            !pread_all(f.fd, header, sizeof(header), f.read_at)) {
            finish_front("ends in a torn record (a writer stopped mid-write); it is removed");
            continue;
        }
        std::size_t length = spool_record_length(std::string_view(header, sizeof(header)));
        if (length == 0) {
            quarantine_front("not a sound batch record header");
            continue;
        }
        if (f.size - f.read_at < length) {
            finish_front("ends in a torn record (a writer stopped mid-write); it is removed");
            continue;
        }
        std::string data(length, '\0');
        if (!pread_all(f.fd, data.data(), length, f.read_at)) {
            quarantine_front(errno_text("read failed"));
            continue;
        }
        std::size_t used = 0;
        if (decode_spool_record(data, batch, used) != SpoolRead::ok) {
            quarantine_front("checksum mismatch");
            continue;
        }
        peeked_length_ = used;
        return true;
    }
    return false;
}

void Spool::advance() {
    if (files_.empty() || peeked_length_ == 0) {
        return;
    }
    File &f = files_.front();
    f.read_at += peeked_length_;
    peeked_length_ = 0;
    if (f.read_at >= f.size) {
        finish_front(nullptr);
    }
}

void Spool::claim_orphans() {
    DIR *d = ::opendir(config_.dir.c_str());
    if (d == nullptr) {
        return;
    }
    std::vector<std::string> found;
    while (dirent *e = ::readdir(d)) {
        if (is_spool_name(e->d_name)) {
            std::string path = config_.dir + "/" + e->d_name;
            if (!known(path)) {
                found.push_back(std::move(path));
            }
        }
    }
    ::closedir(d);
    std::sort(found.begin(), found.end());

    for (const std::string &path : found) {
        int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);  // a live worker's file
            continue;
        }
        struct stat st {};
        char magic[8];
        if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < sizeof(magic) ||
            !pread_all(fd, magic, sizeof(magic), 0) ||
            std::string_view(magic, sizeof(magic)) != spool_file_magic) {
            // Empty (its writer stopped before the first byte) or not ours.
            ::unlink(progress_path(path).c_str());
            if (st.st_size == 0) {
                ::unlink(path.c_str());
            } else {
                notice_(TRACE_LOG_ERR, "trace: " + path +
                                           " is not a spool file; it is set aside as .corrupt");
                ::rename(path.c_str(), (path + ".corrupt").c_str());
            }
            ::close(fd);
            continue;
        }
        File f;
        f.path = path;
        f.fd = fd;
        f.size = static_cast<std::uint64_t>(st.st_size);
        f.read_at = resume_offset(path, fd, f.size);
        // Older than what this worker spooled itself: before it, but never
        // before a file whose replay has begun.
        auto pos = files_.begin();
        if (pos != files_.end() && (pos->read_at > spool_file_magic.size() || peeked_length_)) {
            ++pos;
        }
        while (pos != files_.end() && pos->path < path && !pos->appending) {
            ++pos;
        }
        std::string from = f.read_at > sizeof(magic)
                               ? ", from offset " + std::to_string(f.read_at) +
                                     " where its replay stopped"
                               : "";
        notice_(TRACE_LOG_NOTICE, "trace: replaying spool file " + path + " (" +
                                      std::to_string(f.size) + " bytes) left by an earlier worker" +
                                      from);
        files_.insert(pos, std::move(f));
    }
}

}  // namespace trace
