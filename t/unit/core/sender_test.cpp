// The sender over a fake link: a batch committed once, whatever the link does
// (refused, timed out, broken after the commit), and a batch the server refuses
// for its data split until the bad row is alone, kept in trace.rejected.
// Then the exporter over the same fake, when the database cannot be reached.

#include "exporter.hpp"
#include "link.hpp"
#include "pg_link.hpp"
#include "sender.hpp"
#include "trace_core.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace trace;

namespace {

// What the fake does to the next transaction.
enum class Fault {
    timeout,            // no answer, nothing committed
    lost_after_commit,  // committed, then the connection broke before the answer
};

// The database behind the fake links: what it committed, and its faults.
struct FakeServer {
    std::mutex mu;
    bool refuse_connect = false;
    bool hold = false;                        // a slow database: transactions wait while set
    int connects = 0;
    std::deque<std::optional<Fault>> faults;  // one per transaction; nullopt: none
    std::set<std::string> ledger;             // trace.batches: committed batch ids
    std::vector<std::string> rows;            // committed rows, in order
    std::vector<std::string> rejected;        // trace.rejected: row_text
    std::vector<std::string> attempts;        // the batch id of every transaction tried

    std::vector<std::string> committed_rows() {
        std::lock_guard<std::mutex> lock(mu);
        return rows;
    }
};

// Rows holding "BAD" are refused (a data error); "WORSE" is refused by
// trace.rejected as well.
class FakeLink : public Link {
public:
    explicit FakeLink(FakeServer &server) : server_(server) {}

    bool connected() const override { return connected_; }
    const std::string &error() const override { return error_; }

    bool connect(Millis) override {
        std::lock_guard<std::mutex> lock(server_.mu);
        ++server_.connects;
        if (server_.refuse_connect) {
            error_ = "cannot connect to PostgreSQL: connection refused";
            return false;
        }
        connected_ = true;
        error_.clear();
        return true;
    }

    void close() override { connected_ = false; }

    TxResult run(const std::string &sql, std::string_view copy_data, Millis) override {
        TxResult r;
        if (!connected_) {
            error_ = r.error = "not connected";
            return r;
        }
        // A slow server: the transaction waits, and the sender's tick runs
        // meanwhile, as PgLink calls it while it waits for an answer.
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(server_.mu);
                if (!server_.hold) {
                    break;
                }
            }
            if (tick_) {
                tick_();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::lock_guard<std::mutex> lock(server_.mu);
        std::smatch m;
        static const std::regex ledger(
            R"(^INSERT INTO trace\.batches \(host, batch_id, row_count\) VALUES \('([^']*)', '([^']*)', (\d+)\); )");
        if (!std::regex_search(sql, m, ledger)) {
            ADD_FAILURE() << "no ledger row first: " << sql;
            return r;
        }
        std::string id = m[2];
        server_.attempts.push_back(id);

        std::optional<Fault> fault;
        if (!server_.faults.empty()) {
            fault = server_.faults.front();
            server_.faults.pop_front();
        }
        if (fault == Fault::timeout) {
            connected_ = false;
            error_ = r.error = "PostgreSQL did not answer in time";
            return r;
        }
        if (server_.ledger.count(id)) {
            r.outcome = TxOutcome::duplicate;
            return r;
        }
        std::vector<std::string> copied;
        if (sql.find("; COPY trace.requests (") != std::string::npos) {
            std::string data(copy_data);
            for (std::size_t at = 0; at < data.size();) {
                std::size_t nl = data.find('\n', at);
                copied.push_back(data.substr(at, nl - at));
                at = nl + 1;
            }
            for (const auto &row : copied) {
                if (row.find("BAD") != std::string::npos) {
                    r.outcome = TxOutcome::data_error;
                    error_ = r.error = "invalid byte sequence for encoding \"UTF8\": 0x00";
                    return r;
                }
            }
        } else if (sql.find("; INSERT INTO trace.rejected ") != std::string::npos) {
            static const std::regex text(
                R"(VALUES \('[^']*', '[^']*', 'trace\.requests', '([^']*)', )");
            if (!std::regex_search(sql, m, text)) {
                ADD_FAILURE() << "unexpected: " << sql;
                return r;
            }
            if (m[1].str().find("WORSE") != std::string::npos) {
                r.outcome = TxOutcome::data_error;
                error_ = r.error = "value too long for type character varying(8192)";
                return r;
            }
            server_.rejected.push_back(m[1]);
        } else {
            ADD_FAILURE() << "unexpected: " << sql;
            return r;
        }
        server_.ledger.insert(id);
        server_.rows.insert(server_.rows.end(), copied.begin(), copied.end());
        if (fault == Fault::lost_after_commit) {
            connected_ = false;
            error_ = r.error = "connection to PostgreSQL lost";
            return r;
        }
        r.outcome = TxOutcome::committed;
        return r;
    }

    std::string literal(std::string_view value) const override { return standard_literal(value); }

    void set_tick(std::function<void()> tick) override { tick_ = std::move(tick); }

private:
    FakeServer &server_;
    std::function<void()> tick_;
    bool connected_ = false;
    std::string error_;
};

Batch batch_of(std::vector<std::string> rows, std::string id = "00000000000000aa-1") {
    Batch b;
    b.table = Table::requests;
    b.id = std::move(id);
    b.host = "web-1";
    for (const auto &r : rows) {
        b.rows += r + "\n";
    }
    b.row_count = static_cast<std::uint32_t>(rows.size());
    return b;
}

class SenderTest : public ::testing::Test {
protected:
    Sender sender() {
        return Sender(link_, Millis(1000), stats_, [this](int level, const std::string &m) {
            notices_.push_back({level, m});
        });
    }

    FakeServer server_;
    FakeLink link_{server_};
    trace_stats_t stats_{};
    std::vector<std::pair<int, std::string>> notices_;
};

}  // namespace

TEST_F(SenderTest, ABatchCommitsWithItsIdInTheLedger) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(batch_of({"r1", "r2", "r3"})), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2", "r3"}));
    EXPECT_EQ(server_.ledger, (std::set<std::string>{"00000000000000aa-1"}));
    EXPECT_EQ(stats_.sent_rows, 3u);
    EXPECT_EQ(stats_.sent_batches, 1u);
    EXPECT_TRUE(notices_.empty());
}

TEST_F(SenderTest, NoConnectionMeansRetryAndNothingCounted) {
    server_.refuse_connect = true;
    EXPECT_FALSE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(batch_of({"r1"})), Delivery::retry);
    EXPECT_TRUE(server_.rows.empty());
    EXPECT_EQ(stats_.sent_rows + stats_.sent_batches + stats_.duplicate_batches +
                  stats_.rejected_rows + stats_.dropped_rows,
              0u);
}

TEST_F(SenderTest, ATimeoutMeansRetryAndTheRetryCommitsOnce) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    server_.faults = {Fault::timeout};
    Batch b = batch_of({"r1", "r2"});
    EXPECT_EQ(sender().deliver(b), Delivery::retry);
    EXPECT_FALSE(link_.connected());
    EXPECT_EQ(link_.error(), "PostgreSQL did not answer in time");
    EXPECT_EQ(stats_.sent_rows, 0u);

    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2"}));
    EXPECT_EQ(stats_.sent_rows, 2u);
    EXPECT_EQ(stats_.sent_batches, 1u);
}

// The commit went out and the answer never came: the batch is sent again, the
// ledger recognises it, and it counts as a duplicate; its rows are in once.
// (They are not counted in sent_rows: only a batch committed by an answered
// attempt is.)
TEST_F(SenderTest, AnUnknownOutcomeIsResolvedByTheLedger) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    server_.faults = {Fault::lost_after_commit};
    Batch b = batch_of({"r1", "r2"});
    EXPECT_EQ(sender().deliver(b), Delivery::retry);
    EXPECT_EQ(server_.rows.size(), 2u);

    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2"}));
    EXPECT_EQ(server_.attempts,
              (std::vector<std::string>{"00000000000000aa-1", "00000000000000aa-1"}));
    EXPECT_EQ(stats_.duplicate_batches, 1u);
    EXPECT_EQ(stats_.sent_rows, 0u);
    EXPECT_EQ(stats_.sent_batches, 0u);
}

TEST_F(SenderTest, ABatchAlreadyCommittedIsSkipped) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    server_.ledger.insert("00000000000000aa-1");
    EXPECT_EQ(sender().deliver(batch_of({"r1", "r2"})), Delivery::done);
    EXPECT_TRUE(server_.rows.empty());
    EXPECT_EQ(stats_.duplicate_batches, 1u);
    EXPECT_EQ(stats_.sent_rows, 0u);
}

TEST_F(SenderTest, ABadRowIsIsolatedAndTheOthersCommit) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(batch_of({"r1", "r2", "r3 BAD", "r4", "r5"})), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2", "r4", "r5"}));
    EXPECT_EQ(server_.rejected, (std::vector<std::string>{"r3 BAD"}));
    // Halves until the bad row is alone: (r1 r2) + (r3 r4 r5), then (r3) +
    // (r4 r5); the lone bad row's ledger id goes with its rejection.
    EXPECT_EQ(server_.ledger,
              (std::set<std::string>{"00000000000000aa-1.0", "00000000000000aa-1.1.0",
                                     "00000000000000aa-1.1.1"}));
    EXPECT_EQ(stats_.sent_rows, 4u);
    EXPECT_EQ(stats_.sent_batches, 2u);
    EXPECT_EQ(stats_.rejected_rows, 1u);
    ASSERT_EQ(notices_.size(), 1u);
    EXPECT_EQ(notices_[0].first, TRACE_LOG_WARN);
    EXPECT_EQ(notices_[0].second,
              "trace: PostgreSQL refused a row of trace.requests (invalid byte sequence for "
              "encoding \"UTF8\": 0x00); it is kept in trace.rejected");
}

// A split interrupted by a failure is retried whole; its halves have the same
// ids every time, so the half committed before is recognised.
TEST_F(SenderTest, AnInterruptedSplitResumesWithoutDuplicates) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    Batch b = batch_of({"r1", "r2", "r3 BAD", "r4"});
    // The whole batch: refused for its data; (r1 r2): commits; (r3 r4): no answer.
    server_.faults = {std::nullopt, std::nullopt, Fault::timeout};
    EXPECT_EQ(sender().deliver(b), Delivery::retry);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2"}));

    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1", "r2", "r4"}));
    EXPECT_EQ(server_.rejected, (std::vector<std::string>{"r3 BAD"}));
    // Tried: the whole, its halves; again the whole, its halves, and the
    // halves of the refused one: (r3) alone, copied and refused, then
    // kept in trace.rejected under the same id, and (r4).
    EXPECT_EQ(server_.attempts,
              (std::vector<std::string>{"00000000000000aa-1", "00000000000000aa-1.0",
                                        "00000000000000aa-1.1", "00000000000000aa-1",
                                        "00000000000000aa-1.0", "00000000000000aa-1.1",
                                        "00000000000000aa-1.1.0", "00000000000000aa-1.1.0",
                                        "00000000000000aa-1.1.1"}));
    EXPECT_EQ(stats_.duplicate_batches, 1u);  // (r1 r2), committed the first time
    EXPECT_EQ(stats_.sent_rows, 3u);
    EXPECT_EQ(stats_.rejected_rows, 1u);
}

TEST_F(SenderTest, ARowThatTraceRejectedRefusesTooIsCountedAsDropped) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    EXPECT_EQ(sender().deliver(batch_of({"r1", "r2 BAD WORSE"})), Delivery::done);
    EXPECT_EQ(server_.rows, (std::vector<std::string>{"r1"}));
    EXPECT_TRUE(server_.rejected.empty());
    EXPECT_EQ(stats_.dropped_rows, 1u);
    EXPECT_EQ(stats_.rejected_rows, 0u);
    ASSERT_EQ(notices_.size(), 1u);
    EXPECT_EQ(notices_[0].first, TRACE_LOG_ERR);
    EXPECT_NE(notices_[0].second.find("could not be kept in trace.rejected either"),
              std::string::npos);
}

// --- the exporter over the fake link ------------------------------------------------

namespace {

template <typename Condition>
bool eventually(Condition condition) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void collect(void *ctx, int, const char *msg, size_t len) {
    static_cast<std::vector<std::string> *>(ctx)->emplace_back(msg, len);
}

}  // namespace

TEST(ExporterOverFakeLink, RowsWaitWhileTheDatabaseCannotBeReachedThenArriveOnce) {
    FakeServer server;
    server.refuse_connect = true;
    trace_stats_t stats{};
    std::vector<std::string> messages;
    ExporterConfig config;
    config.host = "web-1";
    config.batch_size = 1024;
    config.retry_max = Millis(200);
    config.stats = &stats;
    config.log = collect;
    config.log_ctx = &messages;
    config.make_link = [&](const std::atomic<TimeCount> &, int) {
        return std::make_unique<FakeLink>(server);
    };
    Exporter exporter(config);

    trace_request_t req{};
    req.start_us = 1700000000000000;
    req.status = 200;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(exporter.add_request(req));
    }
    exporter.flush();

    ASSERT_TRUE(eventually([&] {
        std::lock_guard<std::mutex> lock(server.mu);
        return server.connects >= 2;  // tried, and tried again after a backoff
    }));
    EXPECT_EQ(trace_stats_get(&stats.connected), 0u);
    EXPECT_EQ(trace_stats_get(&stats.queued_rows), 3u);
    char error[sizeof(stats.last_error)];
    trace_stats_read_error(&stats, error, sizeof(error));
    EXPECT_STREQ(error, "trace: cannot connect to PostgreSQL: connection refused");
    EXPECT_TRUE(server.committed_rows().empty());

    {
        std::lock_guard<std::mutex> lock(server.mu);
        server.refuse_connect = false;
    }
    ASSERT_TRUE(eventually([&] { return trace_stats_get(&stats.sent_rows) == 3; }));
    EXPECT_EQ(server.committed_rows().size(), 3u);
    EXPECT_EQ(trace_stats_get(&stats.connected), 1u);
    EXPECT_EQ(trace_stats_get(&stats.queued_rows), 0u);

    EXPECT_TRUE(exporter.stop(Millis(1000)));
    bool failure = false, back = false;
    for (const auto &m : messages) {
        failure |= m.rfind(
                       "trace: cannot connect to PostgreSQL: connection refused; 3 rows wait "
                       "in memory",
                       0) == 0;
        back |= m.rfind("trace: connected to PostgreSQL again after ", 0) == 0;
    }
    EXPECT_TRUE(failure);
    EXPECT_TRUE(back);
}

// --- the exporter's spool policy when the database is slow ---------------------------
//
// With a spool, a batch that has waited longer than the flush interval (being
// sent, or queued behind the one being sent) goes to disk, the one being sent
// first: what a crash of the worker can lose is then about one flush interval
// of rows. A database that keeps up costs no disk write.

namespace {

class ExporterSpoolPolicy : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trace-exporter-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::string cmd = "rm -rf " + dir_;
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    ExporterConfig config(Millis flush_interval, bool spool = true) {
        ExporterConfig c;
        c.host = "web-1";
        c.batch_size = 64 * 1024;
        c.flush_interval = flush_interval;
        c.retry_max = Millis(200);
        if (spool) {
            c.spool_dir = dir_;
        }
        c.stats = &stats_;
        c.log = collect;
        c.log_ctx = &messages_;
        c.make_link = [this](const std::atomic<TimeCount> &, int) {
            return std::make_unique<FakeLink>(server_);
        };
        return c;
    }

    // `rows` rows, request ids req-<n> counting on from the last, then a flush.
    void add_batch(Exporter &exporter, int rows) {
        for (int i = 0; i < rows; ++i) {
            std::string id = "req-" + std::to_string(next_row_++);
            trace_request_t req{};
            req.start_us = 1700000000000000;
            req.status = 200;
            req.request_id = {reinterpret_cast<const unsigned char *>(id.data()), id.size()};
            ASSERT_TRUE(exporter.add_request(req));
        }
        exporter.flush();
    }

    void hold(bool on) {
        std::lock_guard<std::mutex> lock(server_.mu);
        server_.hold = on;
    }

    std::uint64_t stat(const std::uint64_t &counter) { return trace_stats_get(&counter); }

    // The request ids of the committed rows, in the order they were committed.
    std::vector<int> committed() {
        std::vector<int> out;
        static const std::regex id(R"(\treq-(\d+)(\t|$))");
        for (const auto &row : server_.committed_rows()) {
            std::smatch m;
            if (std::regex_search(row, m, id)) {
                out.push_back(std::stoi(m[1]));
            } else {
                ADD_FAILURE() << "no request id in " << row;
            }
        }
        return out;
    }

    std::vector<int> first(int n) {
        std::vector<int> out;
        for (int i = 0; i < n; ++i) {
            out.push_back(i);
        }
        return out;
    }

    std::size_t attempts() {
        std::lock_guard<std::mutex> lock(server_.mu);
        return server_.attempts.size();
    }

    bool spool_files_left() {
        std::string cmd = "ls " + dir_ + " | grep -q '\\.spool$'";
        return std::system(cmd.c_str()) == 0;
    }

    std::string dir_;
    FakeServer server_;
    trace_stats_t stats_{};
    std::vector<std::string> messages_;
    int next_row_ = 0;
};

}  // namespace

TEST_F(ExporterSpoolPolicy, BatchesOfASlowDatabaseGoToTheSpoolAfterTheFlushInterval) {
    hold(true);
    Exporter exporter(config(Millis(50)));
    add_batch(exporter, 3);  // sent, and the server does not answer
    ASSERT_TRUE(eventually([&] { return stat(stats_.spooled_rows) == 3; }));
    add_batch(exporter, 3);
    add_batch(exporter, 3);
    ASSERT_TRUE(eventually([&] { return stat(stats_.spooled_rows) == 9; }));
    EXPECT_EQ(stat(stats_.queued_rows), 0u);  // nothing is left only in memory
    EXPECT_TRUE(spool_files_left());
    EXPECT_TRUE(server_.committed_rows().empty());

    hold(false);
    ASSERT_TRUE(eventually([&] { return committed().size() == 9 && !spool_files_left(); }));
    EXPECT_EQ(committed(), first(9));  // each once, in order
    // The batch that was being sent committed as it was; its copy in the spool
    // was skipped, not sent again.
    EXPECT_EQ(attempts(), 3u);
    EXPECT_EQ(stat(stats_.duplicate_batches), 0u);
    EXPECT_EQ(stat(stats_.replayed_rows), 6u);
    EXPECT_EQ(stat(stats_.dropped_rows), 0u);
    EXPECT_TRUE(exporter.stop(Millis(1000)));
    bool said = false;
    for (const auto &m : messages_) {
        said |= m == "trace: PostgreSQL is behind (a batch has waited longer than "
                     "trace_flush_interval, 50 ms); batches go to the spool until it catches up";
    }
    EXPECT_TRUE(said);
}

// Batches sealed every 2 ms, each committed at once: none waits a flush
// interval (the default, 1 s), none is written to disk.
TEST_F(ExporterSpoolPolicy, ADatabaseThatKeepsUpCostsNoDiskWrite) {
    Exporter exporter(config(Millis(1000)));
    for (int b = 0; b < 40; ++b) {
        add_batch(exporter, 5);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(eventually([&] { return committed().size() == 200; }));
    EXPECT_EQ(committed(), first(200));
    EXPECT_EQ(stat(stats_.spooled_rows), 0u);
    EXPECT_FALSE(spool_files_left());
    EXPECT_TRUE(exporter.stop(Millis(1000)));
}

TEST_F(ExporterSpoolPolicy, BatchesYoungerThanTheFlushIntervalWaitInMemory) {
    hold(true);
    Exporter exporter(config(Millis(10000)));
    add_batch(exporter, 3);
    add_batch(exporter, 3);
    add_batch(exporter, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(stat(stats_.spooled_rows), 0u);
    EXPECT_EQ(stat(stats_.queued_rows), 9u);
    hold(false);
    ASSERT_TRUE(eventually([&] { return committed().size() == 9; }));
    EXPECT_EQ(committed(), first(9));
    EXPECT_EQ(stat(stats_.spooled_rows), 0u);
    EXPECT_FALSE(spool_files_left());
    EXPECT_TRUE(exporter.stop(Millis(1000)));
}

TEST_F(ExporterSpoolPolicy, WithoutASpoolBatchesWaitInMemoryAsBefore) {
    hold(true);
    Exporter exporter(config(Millis(50), /*spool=*/false));
    add_batch(exporter, 3);
    add_batch(exporter, 3);
    add_batch(exporter, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(stat(stats_.queued_rows), 9u);
    EXPECT_EQ(stat(stats_.dropped_rows), 0u);
    hold(false);
    ASSERT_TRUE(eventually([&] { return committed().size() == 9; }));
    EXPECT_EQ(committed(), first(9));
    EXPECT_TRUE(exporter.stop(Millis(1000)));
}

// The batch being sent went to the spool, then its commit's answer was lost:
// the spool's copy is sent again, and the ledger recognises it.
TEST_F(ExporterSpoolPolicy, ABatchSpooledWhileInFlightIsWrittenOnceWhateverItsOutcome) {
    {
        std::lock_guard<std::mutex> lock(server_.mu);
        server_.faults = {Fault::lost_after_commit};
    }
    hold(true);
    Exporter exporter(config(Millis(50)));
    add_batch(exporter, 3);
    ASSERT_TRUE(eventually([&] { return stat(stats_.spooled_rows) == 3; }));
    add_batch(exporter, 2);
    ASSERT_TRUE(eventually([&] { return stat(stats_.spooled_rows) == 5; }));
    hold(false);
    ASSERT_TRUE(eventually([&] { return committed().size() == 5 && !spool_files_left(); }));
    EXPECT_EQ(committed(), first(5));
    EXPECT_EQ(stat(stats_.duplicate_batches), 1u);
    EXPECT_EQ(stat(stats_.dropped_rows), 0u);
    EXPECT_TRUE(exporter.stop(Millis(1000)));
}
