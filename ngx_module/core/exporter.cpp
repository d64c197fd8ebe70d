#include "exporter.hpp"

#include "common/hex.hpp"
#include "guard.hpp"
#include "stats.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iterator>
#include <cstdint>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <random>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <system_error>
#include <unistd.h>

namespace trace {

namespace {

std::uint64_t random_instance() {
    std::uint64_t v = 0;
    if (::getrandom(&v, sizeof(v), 0) != static_cast<ssize_t>(sizeof(v))) {
        std::random_device rd;
        v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
            static_cast<std::uint64_t>(::getpid());
    }
    return v;
}

// "nobody (uid 65534)": who the worker runs as, for messages about files.
std::string process_user() {
    uid_t uid = ::geteuid();
    std::string text = "uid " + std::to_string(uid);
    char buf[4096];
    struct passwd pw {};
    struct passwd *found = nullptr;
    if (::getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
        text = std::string(found->pw_name) + " (" + text + ")";
    }
    return text;
}

std::string hex64(std::uint64_t v) {
    unsigned char bytes[8];
    for (int i = 7; i >= 0; --i, v >>= 8) {
        bytes[i] = static_cast<unsigned char>(v & 0xff);
    }
    return to_hex(bytes, sizeof(bytes));
}

constexpr Millis first_backoff{100};
// Spool files of workers that are gone, such as the old workers of a reload once
// they let go of theirs, are looked for this often: a directory read when there
// are none.
constexpr Millis orphan_check_interval{2000};

}  // namespace

Exporter::Exporter(const ExporterConfig &config)
    : config_(config),
      stats_(config.stats ? *config.stats : own_stats_),
      log_(config.log, config.log_ctx),
      encoder_(config.host, config.session_key),
      instance_(random_instance()) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0 || log_.notify_fd() < 0) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    for (Batch &b : current_) {
        b.rows.reserve(config_.batch_size + 4096);
    }
    if (config_.make_link) {
        link_ = config_.make_link(hard_deadline_, wake_fd_);
    } else {
        link_ = std::make_unique<PgLink>(
            config_.conninfo, hard_deadline_, wake_fd_,
            [this](int level, const std::string &m) { notice(level, m); });
    }
    sender_ = std::make_unique<Sender>(
        *link_, config_.db_timeout, stats_,
        [this](int level, const std::string &m) { notice(level, m); });
    link_->set_tick([this] { spill_under_pressure(); });
    if (!config_.spool_dir.empty()) {
        SpoolConfig sc;
        sc.dir = config_.spool_dir;
        sc.max_size = config_.spool_max_size;
        spool_ = std::make_unique<Spool>(
            sc, [this](int level, const std::string &m) { notice(level, m); });
        stat_set(stats_.spool_bytes, spool_->bytes());
        check_spool();
    }

    // The sender thread takes no signals: nginx's worker handles them.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        ::close(wake_fd_);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Exporter::~Exporter() {
    if (thread_.joinable()) {
        thread_.join();
    }
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

// --- the worker's thread ----------------------------------------------------------

template <typename Encode>
bool Exporter::add(Table table, Encode encode) {
    Batch &current = current_[table == Table::audit ? 1 : 0];
    std::size_t before = current.rows.size();
    try {
        encode(current.rows);
    } catch (...) {
        current.rows.resize(before);  // no half row left behind for the next one
        throw;
    }
    std::size_t row_bytes = current.rows.size() - before;
    std::size_t held = queued_bytes_.load(std::memory_order_relaxed) + current_[0].rows.size() +
                       current_[1].rows.size();
    if (held > config_.buffer_size) {
        current.rows.resize(before);
        note_dropped(1);
        return false;
    }
    ++current.row_count;
    stat_add(stats_.queued_rows, 1);
    stat_add(stats_.queued_bytes, row_bytes);
    if (current.rows.size() >= config_.batch_size) {
        try {
            seal(current);
        } catch (...) {
            // Out of memory: the row is held all the same, and the batch,
            // still current (and within the memory bound), is sealed with the
            // next row or flush.
        }
    }
    return true;
}

bool Exporter::add_request(const trace_request_t &req) {
    return add(Table::requests, [&](std::string &out) { encoder_.append_request(out, req); });
}

bool Exporter::add_audit(const trace_audit_t &event) {
    return add(Table::audit, [&](std::string &out) { encoder_.append_audit(out, event); });
}

void Exporter::note_dropped(std::size_t rows) {
    stat_add(stats_.dropped_rows, rows);
    std::size_t suppressed = 0;
    if (drop_warning_.allow(suppressed) && config_.log) {
        std::string m = "trace: memory for unsent rows is full (trace_buffer_size " +
                        std::to_string(config_.buffer_size) + " bytes); rows are dropped";
        if (suppressed) {
            m += " (" + std::to_string(suppressed + rows) + " since the last warning)";
        }
        config_.log(config_.log_ctx, TRACE_LOG_WARN, m.data(), m.size());
    }
}

void Exporter::seal(Batch &batch) {
    if (batch.row_count == 0) {
        return;
    }
    batch.table = &batch == &current_[1] ? Table::audit : Table::requests;
    batch.id = hex64(instance_) + "-" + std::to_string(next_sequence_++);
    batch.host = config_.host;
    batch.sealed_at = Clock::now();
    std::size_t bytes = batch.rows.size();
    Batch next;
    next.rows.reserve(config_.batch_size + 4096);
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(batch));
        queued_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    }
    batch = std::move(next);
    wake();
}

void Exporter::flush() {
    seal(current_[0]);
    seal(current_[1]);
}

void Exporter::wake() {
    std::uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
    (void)ignored;
}

bool Exporter::stop(Millis drain) {
    flush();
    Clock::time_point until = Clock::now() + drain;
    hard_deadline_.store(to_count(until), std::memory_order_release);
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    wake();

    // The thread's every wait ends at the hard deadline; the grace period
    // covers what cannot be interrupted (a host name lookup in libpq).
    std::unique_lock<std::mutex> lock(mu_);
    bool done = finished_cv_.wait_until(lock, until + Millis(1000), [this] { return finished_; });
    lock.unlock();
    if (!done) {
        thread_.detach();
        notice(TRACE_LOG_ERR, "trace: the sender thread did not stop in time; "
                              "rows it held are lost");
    } else {
        thread_.join();
    }
    drain_log();
    return done;
}

// --- the sender thread ----------------------------------------------------------
//
// The order of batches is kept: while anything is spooled, new batches go to
// the spool behind it, and the spool is replayed oldest first before memory is
// sent directly again.

bool Exporter::hard_deadline_passed() const {
    TimeCount hard = hard_deadline_.load(std::memory_order_acquire);
    return hard != no_deadline && Clock::now() >= from_count(hard);
}

bool Exporter::wait_for_work(Clock::time_point until) {
    TimeCount hard = hard_deadline_.load(std::memory_order_acquire);
    if (hard != no_deadline) {
        until = std::min(until, from_count(hard));
    }
    pollfd fd{wake_fd_, POLLIN, 0};
    int n = ::poll(&fd, 1, poll_timeout_ms(until));
    if (n > 0) {
        std::uint64_t count;
        ssize_t ignored = ::read(wake_fd_, &count, sizeof(count));
        (void)ignored;
    }
    return n > 0;
}

// Nothing may escape a thread (std::terminate would end the worker): a step
// that throws is recovered from, and if recovering or the final discard throws
// too (out of memory), the thread stops with what it holds counted as dropped.
void Exporter::run() noexcept {
    try {
        while (step_or_recover()) {
        }
        link_->close();
        discard_leftovers();
    } catch (...) {
        thread_failed();
    }
    try {
        std::lock_guard<std::mutex> lock(mu_);
        finished_ = true;
        finished_cv_.notify_all();
    } catch (...) {
        // stop() then waits for its deadline and leaves the thread be
    }
}

bool Exporter::step_or_recover() {
    try {
        return step();
    } catch (const std::exception &e) {
        recover(e.what());
    } catch (...) {
        recover(unknown_exception);
    }
    return true;
}

// Batches stay queued for a retry.
void Exporter::recover(std::string_view what) {
    link_->close();
    if (front_in_flight_ && !front_spooled_) {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_front(std::move(in_flight_));
    }
    front_in_flight_ = false;
    connection_failed("trace: sender failed: " + std::string(what));
}

// What the thread held is dropped, and counted.
void Exporter::thread_failed() noexcept {
    stat_set_error(stats_, "trace: the sender thread stopped: an error it could not recover from");
    stat_set(stats_.connected, 0);
    try {
        link_->close();
        std::size_t rows = front_in_flight_ && !front_spooled_ ? in_flight_.row_count : 0;
        std::lock_guard<std::mutex> lock(mu_);
        for (const Batch &b : queue_) {
            rows += b.row_count;
        }
        queue_.clear();
        queued_bytes_.store(0);
        stat_add(stats_.dropped_rows, rows);
        stat_set(stats_.queued_rows, 0);
        stat_set(stats_.queued_bytes, 0);
        notice(TRACE_LOG_ERR, "trace: the sender thread stopped after an error it could not "
                              "recover from; " + std::to_string(rows) + " rows are lost");
    } catch (...) {
    }
}

void Exporter::report(const char *what, std::string_view why) noexcept {
    if (config_.log == nullptr) {
        return;
    }
    char message[512];
    int n = std::snprintf(message, sizeof(message), "trace: %s: %.*s", what,
                          static_cast<int>(why.size()), why.data());
    if (n < 0) {
        return;
    }
    try {
        config_.log(config_.log_ctx, TRACE_LOG_ERR, message,
                    std::min(static_cast<std::size_t>(n), sizeof(message) - 1));
    } catch (...) {
        // the caller's own callback threw: there is nowhere else to say it
    }
}

bool Exporter::step() {
    if (hard_deadline_passed()) {
        return false;
    }
    bool stopping, queued;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping = stopping_;
        queued = !queue_.empty();
    }

    if (stopping) {
        // Exiting: send what is in memory while the database takes it, else
        // leave it to the spool (and the next process) at once.
        if (!queued) {
            return false;
        }
        if (spool_ && (spool_->has_backlog() || backing_off() || !link_->connected())) {
            spill_queue(false);
            return false;
        }
        if (backing_off()) {
            wait_for_work(next_attempt_);
            return true;
        }
        if (ensure_connected()) {
            send_front();
        }
        return true;
    }

    if (spool_ && Clock::now() - orphans_checked_ >= orphan_check_interval) {
        orphans_checked_ = Clock::now();
        spool_->claim_orphans();
    }
    bool backlog = spool_ && spool_->has_backlog();
    if (!queued && !backlog) {
        wait_for_work(Clock::now() + (spool_ ? orphan_check_interval : Millis(30000)));
        return true;
    }
    if (backlog) {
        spill_queue(false);  // newer batches go behind the backlog
    }
    if (backing_off()) {
        if (spool_) {
            spill_queue(false);  // the database is away: to disk, not memory
        }
        wait_for_work(next_attempt_);
        return true;
    }
    if (!ensure_connected()) {
        return true;
    }
    if (spool_ && spool_->has_backlog()) {
        replay_one();
    } else if (queued) {
        send_front();
    }
    return true;
}

bool Exporter::ensure_connected() {
    if (link_->connected()) {
        return true;
    }
    // What the schema has is asked at once: a batch's statement depends on it.
    if (!link_->connect(config_.db_timeout) || !sender_->learn_schema()) {
        link_->close();
        connection_failed("trace: " + link_->error());
        if (spool_) {
            spill_queue(false);
        }
        return false;
    }
    connection_back();
    if (spool_) {
        orphans_checked_ = Clock::now();
        spool_->claim_orphans();
    }
    return true;
}

void Exporter::send_front() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty()) {
            return;
        }
        // Out of the queue while it is sent, so that the queue may be spilled
        // meanwhile; its bytes still count against the memory bound.
        in_flight_ = std::move(queue_.front());
        queue_.pop_front();
    }
    front_in_flight_ = true;
    front_spooled_ = false;
    Delivery d = sender_->deliver(in_flight_);
    front_in_flight_ = false;
    if (d == Delivery::done) {
        if (front_spooled_) {
            committed_while_spooled_.insert(in_flight_.id);  // its replay is skipped
        }
        release(in_flight_, !front_spooled_);
        return;
    }
    connection_failed("trace: cannot write to PostgreSQL: " + link_->error());
    if (front_spooled_) {
        release(in_flight_, false);  // the spool has it
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_front(std::move(in_flight_));
    }
    if (spool_) {
        spill_queue(false);
    }
}

void Exporter::replay_one() {
    Batch batch;
    if (!spool_->peek(batch)) {
        stat_set(stats_.spool_bytes, spool_->bytes());
        return;
    }
    auto seen = committed_while_spooled_.find(batch.id);
    if (seen != committed_while_spooled_.end()) {
        committed_while_spooled_.erase(seen);
        spool_->advance();
        return;
    }
    if (sender_->deliver(batch) == Delivery::done) {
        spool_->advance();
        stat_add(stats_.replayed_rows, batch.row_count);
        stat_set(stats_.spool_bytes, spool_->bytes());
        return;
    }
    connection_failed("trace: cannot write to PostgreSQL: " + link_->error());
}

// A batch leaves memory: delivered, or in the spool (already counted there).
void Exporter::release(const Batch &batch, bool still_counted) {
    if (still_counted) {
        stat_sub(stats_.queued_rows, batch.row_count);
        stat_sub(stats_.queued_bytes, batch.rows.size());
        queued_bytes_.fetch_sub(batch.rows.size(), std::memory_order_relaxed);
    }
}

// Moves batches to the spool, oldest first: the one being sent (when
// include_in_flight and it is not there yet), then the queue, stopping at the
// first that cannot be written (it and the rest stay in memory, within the
// bound). The batch being sent goes first so that order holds whatever its
// outcome; if it commits, its replay is skipped. true: at least one batch went.
bool Exporter::spill_queue(bool include_in_flight) {
    if (!spool_) {
        return false;
    }
    bool stuck = false, moved = false;
    if (include_in_flight && !front_spooled_) {
        if (spool_->append(in_flight_)) {
            moved = true;
            front_spooled_ = true;
            stat_add(stats_.spooled_rows, in_flight_.row_count);
            release(in_flight_, true);
        } else {
            stuck = true;
        }
    }
    if (!stuck) {
        // The batches leave the queue under the lock and reach the disk
        // outside it: the worker's thread, which takes the lock for every
        // batch it seals, never waits for a write or an fdatasync.
        std::deque<Batch> taken;
        {
            std::lock_guard<std::mutex> lock(mu_);
            taken.swap(queue_);
        }
        while (!taken.empty()) {
            const Batch &b = taken.front();
            if (!spool_->append(b)) {
                stuck = true;
                break;
            }
            moved = true;
            stat_add(stats_.spooled_rows, b.row_count);
            release(b, true);
            taken.pop_front();
        }
        if (!taken.empty()) {
            // Older than anything sealed meanwhile: back in front, in order.
            std::lock_guard<std::mutex> lock(mu_);
            queue_.insert(queue_.begin(), std::make_move_iterator(taken.begin()),
                          std::make_move_iterator(taken.end()));
        }
    }
    stat_set(stats_.spool_bytes, spool_->bytes());
    stat_set(stats_.spool_state, spool_->writable() ? TRACE_SPOOL_USABLE : TRACE_SPOOL_UNUSABLE);
    std::size_t suppressed = 0;
    if (stuck && spool_warning_.allow(suppressed)) {
        notice(TRACE_LOG_WARN,
               "trace: " + spool_->error() + "; rows stay in memory while it lasts" +
                   (suppressed ? " (" + std::to_string(suppressed) + " similar messages not logged)"
                               : std::string()));
    }
    return moved;
}

// Runs in the worker process as its user, before any row: a directory that
// the worker cannot write (a parent only root may enter, say) passes nginx -t
// and the start, run as root, and would otherwise be found out only by the
// next outage, whose rows it would then drop.
void Exporter::check_spool() {
    if (spool_->probe()) {
        stat_set(stats_.spool_state, TRACE_SPOOL_USABLE);
        return;
    }
    stat_set(stats_.spool_state, TRACE_SPOOL_UNUSABLE);
    notice(TRACE_LOG_ERR, "trace: the spool directory " + config_.spool_dir +
                              " cannot be written by the worker's user " + process_user() +
                              ": " + spool_->error() +
                              "; rows that cannot be sent wait in memory only, within "
                              "trace_buffer_size, and are dropped beyond it and at exit");
}

// Called while a step waits on the server (every Link::tick_interval, and
// whenever the worker seals a batch): a slow or hung database must not keep
// rows in memory, where a crash of the worker loses them, while a spool could
// take them.
void Exporter::spill_under_pressure() {
    bool behind = false;
    if (!spool_ || !spill_due(behind)) {
        return;
    }
    bool moved = spill_queue(front_in_flight_);
    std::size_t suppressed = 0;
    if (moved && behind && behind_notice_.allow(suppressed)) {
        notice(TRACE_LOG_NOTICE,
               "trace: PostgreSQL is behind (a batch has waited longer than "
               "trace_flush_interval, " + std::to_string(config_.flush_interval.count()) +
                   " ms); batches go to the spool until it catches up" +
                   (suppressed ? " (" + std::to_string(suppressed) + " similar messages not logged)"
                               : std::string()));
    }
}

// Whether the batches in memory should go to the spool now, the one being sent
// first. Due when
// - one of them was sealed more than trace_flush_interval ago: the database is
//   behind, a batch has waited longer than the worker takes to fill one. Once
//   they are on disk, a crash of the worker loses at most the batch being
//   filled and what was sealed within the last interval (and the sender's
//   look at its queue, every Link::tick_interval);
// - the spool holds a backlog: new batches go behind it in any case, so they
//   go at once;
// - memory is half full: the memory bound.
// A database that commits each batch within the interval of its sealing costs
// no disk write. `behind`: the first reason (for the notice).
bool Exporter::spill_due(bool &behind) {
    bool waiting = false;
    Clock::time_point oldest{};
    if (front_in_flight_ && !front_spooled_) {
        waiting = true;
        oldest = in_flight_.sealed_at;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!queue_.empty()) {
            if (!waiting) {
                oldest = queue_.front().sealed_at;
            }
            waiting = true;
        }
    }
    if (!waiting) {
        return false;
    }
    if (queued_bytes_.load(std::memory_order_relaxed) >= config_.buffer_size / 2 ||
        spool_->has_backlog()) {
        return true;
    }
    behind = Clock::now() - oldest > config_.flush_interval;
    return behind;
}

void Exporter::connection_failed(const std::string &error) {
    stat_set(stats_.connected, link_->connected() ? 1 : 0);
    stat_set_error(stats_, error);
    if (!was_down_) {
        was_down_ = true;
        down_since_ = Clock::now();
    }
    backoff_ = backoff_.count() == 0 ? first_backoff : std::min(backoff_ * 2, config_.retry_max);
    next_attempt_ = Clock::now() + backoff_;
    std::size_t suppressed = 0;
    if (failure_log_.allow(suppressed)) {
        std::string m = error + "; " + std::to_string(stat_get(stats_.queued_rows)) +
                        " rows wait in memory";
        if (spool_) {
            m += ", " + std::to_string(spool_->bytes()) + " bytes in the spool";
        }
        m += ", retrying every " + std::to_string(config_.retry_max.count() / 1000) +
             " s at most";
        if (suppressed) {
            m += " (" + std::to_string(suppressed) + " similar failures not logged)";
        }
        notice(TRACE_LOG_ERR, m);
    }
}

void Exporter::connection_back() {
    stat_set(stats_.connected, 1);
    backoff_ = Millis(0);
    next_attempt_ = Clock::time_point{};
    if (was_down_) {
        was_down_ = false;
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - down_since_);
        notice(TRACE_LOG_NOTICE, "trace: connected to PostgreSQL again after " +
                                     std::to_string(seconds.count()) + " s");
    }
}

void Exporter::discard_leftovers() {
    if (spool_) {
        spill_queue(false);
        spool_->close();
        stat_set(stats_.spool_bytes, spool_->bytes());
    }
    std::size_t rows = 0;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Batch &b : queue_) {
            rows += b.row_count;
        }
        queue_.clear();
        queued_bytes_.store(0);
    }
    stat_set(stats_.queued_rows, 0);
    stat_set(stats_.queued_bytes, 0);
    stat_set(stats_.connected, 0);
    if (rows != 0) {
        stat_add(stats_.dropped_rows, rows);
        notice(TRACE_LOG_ERR, "trace: " + std::to_string(rows) +
                                  " rows could not be sent before the worker stopped and are lost" +
                                  (spool_ ? " (the spool did not take them: " + spool_->error() + ")"
                                          : std::string(" (trace_spool would keep them)")));
    }
}

}  // namespace trace
