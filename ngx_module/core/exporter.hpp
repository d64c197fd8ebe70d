// The per-worker exporter. The worker's thread encodes rows into the current
// batch and hands full batches over; one sender thread of the exporter's own
// owns the PostgreSQL connection and the spool, and delivers batches in order.
//
// Why a thread rather than libpq on nginx's event loop: libpq resolves host
// names and may negotiate TLS with blocking calls, and the spool writes to
// disk; none of that may ever run on the worker's loop. The worker's side
// costs one short mutex hold and one eventfd write per batch.

#ifndef TRACE_CORE_EXPORTER_HPP
#define TRACE_CORE_EXPORTER_HPP

#include "batch.hpp"
#include "deadline.hpp"
#include "log_sink.hpp"
#include "pg_link.hpp"
#include "row_encoder.hpp"
#include "sender.hpp"
#include "spool.hpp"
#include "trace_core.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace trace {

struct ExporterConfig {
    std::string conninfo;
    std::string host;
    std::string session_key;
    std::size_t buffer_size = 8 * 1024 * 1024;
    std::size_t batch_size = 256 * 1024;
    // trace_flush_interval. With a spool, no sealed batch waits in memory much
    // longer than this: what a crash of the worker can lose.
    Millis flush_interval{1000};
    Millis db_timeout{10000};
    Millis retry_max{5000};
    std::string spool_dir;                 // empty: no spool
    std::uint64_t spool_max_size = 1024ULL * 1024 * 1024;
    // The connection: a PgLink on conninfo, unless a test makes its own.
    std::function<std::unique_ptr<Link>(const std::atomic<TimeCount> &hard_deadline, int wake_fd)>
        make_link;
    trace_stats_t *stats = nullptr;
    trace_log_pt log = nullptr;
    void *log_ctx = nullptr;
};

class Exporter {
public:
    explicit Exporter(const ExporterConfig &config);
    ~Exporter();
    Exporter(const Exporter &) = delete;
    Exporter &operator=(const Exporter &) = delete;

    // --- the worker's thread ---
    bool add_request(const trace_request_t &req);
    bool add_audit(const trace_audit_t &event);
    bool has_pending() const {
        return current_[0].row_count != 0 || current_[1].row_count != 0;
    }
    void flush();
    int notify_fd() const { return log_.notify_fd(); }
    void drain_log() { log_.drain(); }

    // Sends what is held within `drain` (or spools it), then stops the sender
    // thread. Returns false when the thread did not finish in time (it is then
    // left running and the exporter must not be destroyed).
    bool stop(Millis drain);

    // For the C API, on the worker's thread: "trace: WHAT: WHY" to the log
    // callback at once. Never throws, allocates nothing.
    void report(const char *what, std::string_view why) noexcept;

private:
    // The worker's side.
    template <typename Encode> bool add(Table table, Encode encode);
    void seal(Batch &batch);
    void wake();
    void note_dropped(std::size_t rows);

    // The sender thread's side.
    void run() noexcept;
    bool step_or_recover();
    bool step();  // one round of the sender's loop; false: time to stop
    void recover(std::string_view what);
    void thread_failed() noexcept;
    bool hard_deadline_passed() const;
    bool backing_off() const { return Clock::now() < next_attempt_; }
    bool wait_for_work(Clock::time_point until);
    bool ensure_connected();
    void send_front();
    void replay_one();
    bool spill_queue(bool include_in_flight);
    void spill_under_pressure();
    bool spill_due(bool &behind);
    void check_spool();
    void release(const Batch &batch, bool still_counted);
    void connection_failed(const std::string &error);
    void connection_back();
    void discard_leftovers();
    void notice(int level, const std::string &message) { log_.post(level, message); }

    ExporterConfig config_;
    trace_stats_t own_stats_{};
    trace_stats_t &stats_;
    LogSink log_;
    RowEncoder encoder_;

    // Owned by the worker's thread: the batch being filled, per table.
    Batch current_[2];
    std::uint64_t instance_ = 0;
    std::uint64_t next_sequence_ = 1;
    RateLimit drop_warning_{Millis(1000)};

    // Shared, under mu_.
    std::mutex mu_;
    std::condition_variable finished_cv_;
    std::deque<Batch> queue_;            // sealed batches, oldest first
    bool stopping_ = false;
    bool finished_ = false;
    std::atomic<std::size_t> queued_bytes_{0};
    std::atomic<TimeCount> hard_deadline_{no_deadline};
    int wake_fd_ = -1;

    // Owned by the sender thread.
    std::unique_ptr<Link> link_;
    std::unique_ptr<Sender> sender_;
    std::unique_ptr<Spool> spool_;
    Batch in_flight_;                    // taken from the queue by send_front()
    bool front_in_flight_ = false;       // in_flight_ is being delivered
    bool front_spooled_ = false;         // ... and was written to the spool meanwhile
    std::unordered_set<std::string> committed_while_spooled_;
    Millis backoff_{0};
    Clock::time_point next_attempt_{};
    Clock::time_point down_since_{};
    Clock::time_point orphans_checked_{};
    bool was_down_ = false;
    RateLimit failure_log_{Millis(30000)};
    RateLimit spool_warning_{Millis(1000)};
    RateLimit behind_notice_{Millis(30000)};

    std::thread thread_;
};

}  // namespace trace

#endif
