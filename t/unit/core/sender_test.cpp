// The sender over a fake link: a batch committed once, whatever the link does
// (refused, timed out, broken after the commit), and a batch the server refuses
// for its data split until the bad row is alone, kept in trace.rejected.
// Rows of trace.requests with their block summaries where the schema has
// trace.request_blocks, as before where it has not, and a schema that changed
// under the sender. Then the exporter over the same fake, when the database
// cannot be reached.

#include "common/block_summary.hpp"
#include "common/hex.hpp"
#include "common/trace_contract.h"
#include "encoded_requests.hpp"
#include "exporter.hpp"
#include "link.hpp"
#include "pg_link.hpp"
#include "sender.hpp"
#include "trace_core.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
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

// A row of trace.request_blocks, as the fake server read it from the INSERT.
struct FakeBlock {
    std::string batch_id;
    int block = 0;
    std::string first_ts, last_ts;
    std::uint32_t row_count = 0;
    std::string keys_hex, grams_hex;
};

// The database behind the fake links: what it committed, and its faults.
struct FakeServer {
    std::mutex mu;
    bool refuse_connect = false;
    bool hold = false;                        // a slow database: transactions wait while set
    bool request_blocks = false;              // the schema has sql/0006 (summarised, blocks)
    int connects = 0;
    int schema_questions = 0;                 // to_regclass('trace.request_blocks') asked
    std::vector<FakeBlock> blocks;            // committed rows of trace.request_blocks
    std::vector<std::string> statements;      // the SQL of every transaction tried
    std::vector<std::string> copy_data;       // ... and what its COPY was fed
    std::deque<std::optional<Fault>> faults;  // one per transaction; nullopt: none
    std::set<std::string> ledger;             // trace.batches: committed batch ids
    std::map<std::string, std::string> keys;  // batch id -> the batch key it was sent with
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

    std::optional<bool> query_bool(const std::string &sql, Millis) override {
        if (!connected_) {
            error_ = "not connected";
            return std::nullopt;
        }
        if (sql != "SELECT to_regclass('trace.request_blocks') IS NOT NULL") {
            ADD_FAILURE() << "unexpected question: " << sql;
            return std::nullopt;
        }
        std::lock_guard<std::mutex> lock(server_.mu);
        ++server_.schema_questions;
        return server_.request_blocks;
    }

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
            R"(^SET LOCAL trace\.batch_key = '(\d+)'; INSERT INTO trace\.batches \(host, batch_id, row_count\) VALUES \('([^']*)', '([^']*)', (\d+)\); )");
        if (!std::regex_search(sql, m, ledger)) {
            ADD_FAILURE() << "no batch key and ledger row first: " << sql;
            return r;
        }
        std::string id = m[3];
        // The key is the batch's: the same whenever it is sent again.
        auto [key, fresh] = server_.keys.emplace(id, m[1]);
        if (!fresh && key->second != m[1]) {
            ADD_FAILURE() << "batch " << id << " sent with key " << m[1] << ", before "
                          << key->second;
        }
        server_.attempts.push_back(id);
        server_.statements.push_back(sql);
        server_.copy_data.emplace_back(copy_data);

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
        std::vector<FakeBlock> blocks;
        bool summarised =
            sql.find("; COPY trace.requests (" TRACE_REQUEST_COLUMNS ", summarised) FROM STDIN") !=
            std::string::npos;
        bool with_blocks = sql.find("; INSERT INTO trace.request_blocks ") != std::string::npos;
        // A statement for another schema fails as PgLink reports 42703 and
        // 42P01: not a data error (is_data_error).
        if ((summarised || with_blocks) && !server_.request_blocks) {
            error_ = r.error = summarised
                                   ? "ERROR:  column \"summarised\" of relation \"requests\" does not exist"
                                   : "ERROR:  relation \"trace.request_blocks\" does not exist";
            return r;
        }
        if (with_blocks && !read_blocks(sql, id, blocks)) {
            return r;
        }
        if (sql.find("; COPY trace.requests (") != std::string::npos ||
            sql.find("; COPY trace.audit (") != std::string::npos) {
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
        server_.blocks.insert(server_.blocks.end(), blocks.begin(), blocks.end());
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
    // The rows of "INSERT INTO trace.request_blocks (...) VALUES (...), ..."
    // to its end, which must all be of batch `id`.
    static bool read_blocks(const std::string &sql, const std::string &id,
                            std::vector<FakeBlock> &out) {
        static const std::string head =
            "; INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, "
            "row_count, keys, grams) VALUES ";
        std::size_t at = sql.find(head);
        if (at == std::string::npos) {
            ADD_FAILURE() << "blocks without their column list: " << sql;
            return false;
        }
        static const std::regex tuple(
            R"(^\('web-1', '([^']*)', (\d+), '([^']*)'::timestamptz, '([^']*)'::timestamptz, (\d+), '\\x([0-9a-f]*)'::bytea, '\\x([0-9a-f]*)'::bytea\)(, |$))");
        std::string rest = sql.substr(at + head.size());
        std::smatch m;
        while (!rest.empty()) {
            if (!std::regex_search(rest, m, tuple)) {
                ADD_FAILURE() << "a block that does not read: " << rest.substr(0, 200);
                return false;
            }
            EXPECT_EQ(m[1].str(), id);
            out.push_back({m[1], std::stoi(m[2]), m[3], m[4],
                           static_cast<std::uint32_t>(std::stoul(m[5])), m[6], m[7]});
            rest = m.suffix();
        }
        return true;
    }

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

// --- block summaries (sql/0006) ---------------------------------------------------

namespace {

const std::string copy_without_summarised =
    "; COPY trace.requests (" TRACE_REQUEST_COLUMNS ") FROM STDIN";
const std::string copy_summarised =
    "; COPY trace.requests (" TRACE_REQUEST_COLUMNS ", summarised) FROM STDIN";
const std::string blocks_insert =
    "; INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, row_count, "
    "keys, grams) VALUES (";

Batch requests_batch(int rows, std::string id = "00000000000000aa-1", int bad = -1) {
    Batch b;
    b.table = Table::requests;
    b.id = std::move(id);
    b.host = "web-1";
    b.rows = trace_test::encoded_requests(rows, 1795758172000000LL, bad, " BAD");
    b.row_count = static_cast<std::uint32_t>(rows);
    return b;
}

// The batch's key (its distribution value, sql/0008), then its ledger row.
std::string ledger_sql(const Batch &b) {
    return "SET LOCAL trace.batch_key = '" + std::to_string(b.key()) +
           "'; INSERT INTO trace.batches (host, batch_id, row_count) VALUES ('web-1', '" + b.id +
           "', " + std::to_string(b.row_count) + ")";
}

// Every line with "\t" "t" before its end: summarised = true.
std::string with_summarised(const std::string &rows) {
    return std::regex_replace(rows, std::regex("\n"), "\tt\n");
}

std::string without_summarised(const std::string &rows) {
    return std::regex_replace(rows, std::regex("\tt\n"), "\n");
}

std::string hex_of(const std::string &bytes) {
    return to_hex(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
}

std::vector<FakeBlock> blocks_of(const std::vector<FakeBlock> &all, const std::string &id) {
    std::vector<FakeBlock> out;
    for (const FakeBlock &b : all) {
        if (b.batch_id == id) {
            out.push_back(b);
        }
    }
    return out;
}

// The blocks committed under one id are the summaries of exactly its rows,
// numbered from 0.
void expect_blocks_of(const std::vector<FakeBlock> &got, const std::string &rows) {
    std::vector<BlockSummary> want = summarise_request_copy_text(rows);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].block, static_cast<int>(i));
        EXPECT_EQ(got[i].row_count, want[i].row_count);
        EXPECT_EQ(got[i].first_ts, utc_timestamp_text(want[i].first_ts_us));
        EXPECT_EQ(got[i].last_ts, utc_timestamp_text(want[i].last_ts_us));
        EXPECT_EQ(got[i].keys_hex, hex_of(want[i].keys));
        EXPECT_EQ(got[i].grams_hex, hex_of(want[i].grams));
        EXPECT_FALSE(got[i].keys_hex.empty());
        EXPECT_FALSE(got[i].grams_hex.empty());
    }
}

}  // namespace

TEST_F(SenderTest, BeforeSchema0006RowsAreCopiedAsBefore) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    Batch b = requests_batch(3);
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    ASSERT_EQ(server_.statements.size(), 1u);
    EXPECT_EQ(server_.statements[0], ledger_sql(b) + copy_without_summarised);
    EXPECT_EQ(server_.copy_data[0], b.rows);
    EXPECT_TRUE(server_.blocks.empty());
    EXPECT_EQ(server_.schema_questions, 1);
    EXPECT_EQ(stats_.sent_rows, 3u);
    EXPECT_TRUE(notices_.empty());
}

TEST_F(SenderTest, WithRequestBlocksRowsAndTheirBlocksCommitInOneTransaction) {
    server_.request_blocks = true;
    ASSERT_TRUE(link_.connect(Millis(100)));
    Batch b = requests_batch(600);
    const std::string rows_before = b.rows;
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    ASSERT_EQ(server_.statements.size(), 1u);
    const std::string &sql = server_.statements[0];
    std::string head = ledger_sql(b) + copy_summarised + blocks_insert;
    EXPECT_EQ(sql.substr(0, head.size()), head);
    EXPECT_EQ(server_.copy_data[0], with_summarised(b.rows));
    EXPECT_EQ(b.rows, rows_before);  // what the spool holds: every schema reads it
    std::vector<FakeBlock> blocks = blocks_of(server_.blocks, b.id);
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].row_count, 256u);
    EXPECT_EQ(blocks[1].row_count, 256u);
    EXPECT_EQ(blocks[2].row_count, 88u);
    // One request a millisecond from 2026-11-27 05:42:52 UTC.
    EXPECT_EQ(blocks[0].first_ts, "2026-11-27 05:42:52.000000+00");
    EXPECT_EQ(blocks[0].last_ts, "2026-11-27 05:42:52.255000+00");
    EXPECT_EQ(blocks[2].last_ts, "2026-11-27 05:42:52.599000+00");
    expect_blocks_of(blocks, b.rows);
    EXPECT_EQ(server_.rows.size(), 600u);
    EXPECT_EQ(stats_.sent_rows, 600u);
    EXPECT_TRUE(notices_.empty());
}

TEST_F(SenderTest, EachHalfOfASplitBatchHasBlocksOfItsOwn) {
    server_.request_blocks = true;
    ASSERT_TRUE(link_.connect(Millis(100)));
    Batch b = requests_batch(600, "00000000000000aa-1", /*bad=*/450);
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    ASSERT_EQ(server_.rejected.size(), 1u);
    EXPECT_NE(server_.rejected[0].find(" BAD"), std::string::npos);
    EXPECT_EQ(server_.rows.size(), 599u);
    EXPECT_TRUE(blocks_of(server_.blocks, b.id).empty());  // refused whole: nothing of it

    // Every committed transaction of rows: its blocks are those of exactly
    // its rows, numbered from 0 under its own id.
    std::uint32_t block_rows = 0;
    int transactions = 0;
    for (std::size_t i = 0; i < server_.statements.size(); ++i) {
        const std::string &id = server_.attempts[i];
        if (server_.statements[i].find(copy_summarised) == std::string::npos ||
            !server_.ledger.count(id) ||
            server_.copy_data[i].find(" BAD") != std::string::npos) {
            continue;
        }
        ++transactions;
        std::vector<FakeBlock> blocks = blocks_of(server_.blocks, id);
        expect_blocks_of(blocks, without_summarised(server_.copy_data[i]));
        for (const FakeBlock &fb : blocks) {
            block_rows += fb.row_count;
        }
    }
    EXPECT_GE(transactions, 3);
    EXPECT_EQ(block_rows, 599u);
    EXPECT_EQ(blocks_of(server_.blocks, "00000000000000aa-1.0").size(), 2u);  // 256 + 44
    EXPECT_EQ(stats_.rejected_rows, 1u);
}

// A database replaced by one before 0006 (or a migration undone by hand): the
// statement made for blocks fails with an undefined column, which is not the
// rows' fault. Nothing is split or rejected; the schema is asked again and
// the retry copies the rows as the older schema takes them.
TEST_F(SenderTest, AColumnGoneUnderTheSenderIsARetryNotARejection) {
    server_.request_blocks = true;
    ASSERT_TRUE(link_.connect(Millis(100)));
    Sender s = sender();
    ASSERT_TRUE(s.learn_schema());
    server_.request_blocks = false;
    Batch b = requests_batch(300);
    EXPECT_EQ(s.deliver(b), Delivery::retry);
    EXPECT_EQ(server_.attempts.size(), 1u);  // no split
    EXPECT_TRUE(server_.rejected.empty());
    EXPECT_TRUE(server_.rows.empty());
    EXPECT_EQ(stats_.rejected_rows + stats_.dropped_rows, 0u);
    EXPECT_NE(link_.error().find("\"summarised\""), std::string::npos);

    EXPECT_EQ(s.deliver(b), Delivery::done);
    EXPECT_EQ(server_.schema_questions, 2);
    ASSERT_EQ(server_.statements.size(), 2u);
    EXPECT_EQ(server_.statements[1], ledger_sql(b) + copy_without_summarised);
    EXPECT_EQ(server_.rows.size(), 300u);
    EXPECT_TRUE(server_.blocks.empty());
    EXPECT_EQ(stats_.sent_rows, 300u);
    EXPECT_TRUE(server_.rejected.empty());
    ASSERT_FALSE(notices_.empty());
    EXPECT_EQ(notices_.back().second,
              "trace: the database has no trace.request_blocks (a schema before 0006; "
              "trace-ctl migrate adds it); rows of trace.requests are sent without block "
              "summaries");
}

// trace-ctl migrate ran while the sender was connected: the older statement
// still works (the rows take summarised's default, false), and once the
// recheck interval has passed the rows go with their blocks.
TEST_F(SenderTest, AMigrationIsSeenOnceTheRecheckIntervalHasPassed) {
    ASSERT_TRUE(link_.connect(Millis(100)));
    Sender s(link_, Millis(1000), stats_,
             [this](int level, const std::string &m) { notices_.push_back({level, m}); },
             /*schema_recheck=*/Millis(200));
    Batch first = requests_batch(2, "00000000000000aa-1");
    Batch second = requests_batch(2, "00000000000000aa-2");
    Batch third = requests_batch(2, "00000000000000aa-3");
    EXPECT_EQ(s.deliver(first), Delivery::done);
    server_.request_blocks = true;
    EXPECT_EQ(s.deliver(second), Delivery::done);
    EXPECT_EQ(server_.schema_questions, 1);
    EXPECT_EQ(server_.statements[1], ledger_sql(second) + copy_without_summarised);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    EXPECT_EQ(s.deliver(third), Delivery::done);
    EXPECT_EQ(server_.schema_questions, 2);
    EXPECT_EQ(server_.statements[2].substr(0, ledger_sql(third).size() + copy_summarised.size()),
              ledger_sql(third) + copy_summarised);
    EXPECT_EQ(blocks_of(server_.blocks, third.id).size(), 1u);
    ASSERT_EQ(notices_.size(), 1u);
    EXPECT_EQ(notices_[0].first, TRACE_LOG_NOTICE);
    EXPECT_EQ(notices_[0].second,
              "trace: the database has trace.request_blocks now; rows of trace.requests are "
              "sent with their block summaries");
}

TEST_F(SenderTest, AuditBatchesAreCopiedAsBeforeWhateverTheSchema) {
    server_.request_blocks = true;
    ASSERT_TRUE(link_.connect(Millis(100)));
    Batch b = batch_of({"a1", "a2"});
    b.table = Table::audit;
    EXPECT_EQ(sender().deliver(b), Delivery::done);
    ASSERT_EQ(server_.statements.size(), 1u);
    EXPECT_EQ(server_.statements[0],
              ledger_sql(b) + "; COPY trace.audit (" TRACE_AUDIT_COLUMNS ") FROM STDIN");
    EXPECT_EQ(server_.copy_data[0], "a1\na2\n");
    EXPECT_EQ(server_.schema_questions, 0);
    EXPECT_TRUE(server_.blocks.empty());
}

// PgLink's classification: class 42 (the statement does not fit the schema)
// is never the rows' fault, so it never splits a batch or fills
// trace.rejected; it is retried like a lost connection.
TEST(PgLinkErrors, AnUndefinedColumnOrTableIsNotADataError) {
    EXPECT_FALSE(is_data_error("42703"));  // undefined_column
    EXPECT_FALSE(is_data_error("42P01"));  // undefined_table
    EXPECT_FALSE(is_data_error("42501"));  // insufficient_privilege
    EXPECT_FALSE(is_data_error("08006"));  // connection_failure
    EXPECT_FALSE(is_data_error("57014"));  // query_canceled
    EXPECT_FALSE(is_data_error(""));
    EXPECT_TRUE(is_data_error("22021"));   // character_not_in_repertoire
    EXPECT_TRUE(is_data_error("22P05"));   // untranslatable_character
    EXPECT_TRUE(is_data_error("23502"));   // not_null_violation
    EXPECT_TRUE(is_data_error("54000"));   // program_limit_exceeded
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

// An exporter of host web-1 over FakeLinks to `server`, its messages collected.
ExporterConfig fake_link_config(FakeServer &server, trace_stats_t &stats,
                                std::vector<std::string> &messages) {
    ExporterConfig config;
    config.host = "web-1";
    config.batch_size = 1024;
    config.retry_max = Millis(200);
    config.stats = &stats;
    config.log = collect;
    config.log_ctx = &messages;
    config.make_link = [&server](const std::atomic<TimeCount> &, int) {
        return std::make_unique<FakeLink>(server);
    };
    return config;
}

// Three requests of 2023-11-14 22:13:20 UTC, sealed into a batch.
void add_three_requests(Exporter &exporter) {
    trace_request_t req{};
    req.start_us = 1700000000000000;
    req.status = 200;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(exporter.add_request(req));
    }
    exporter.flush();
}

}  // namespace

TEST(ExporterOverFakeLink, RowsWaitWhileTheDatabaseCannotBeReachedThenArriveOnce) {
    FakeServer server;
    server.refuse_connect = true;
    trace_stats_t stats{};
    std::vector<std::string> messages;
    Exporter exporter(fake_link_config(server, stats, messages));
    add_three_requests(exporter);

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

// The exporter asks what the schema has when it connects, before any batch,
// and its rows then go with their blocks.
TEST(ExporterOverFakeLink, TheSchemaIsAskedAtConnectionAndRowsGoSummarised) {
    FakeServer server;
    server.request_blocks = true;
    trace_stats_t stats{};
    std::vector<std::string> messages;
    Exporter exporter(fake_link_config(server, stats, messages));
    add_three_requests(exporter);
    ASSERT_TRUE(eventually([&] { return trace_stats_get(&stats.sent_rows) == 3; }));
    EXPECT_TRUE(exporter.stop(Millis(1000)));
    std::lock_guard<std::mutex> lock(server.mu);
    EXPECT_EQ(server.schema_questions, 1);
    ASSERT_EQ(server.rows.size(), 3u);
    for (const auto &row : server.rows) {
        EXPECT_EQ(row.substr(row.size() - 2), "\tt");
    }
    ASSERT_EQ(server.blocks.size(), 1u);
    EXPECT_EQ(server.blocks[0].row_count, 3u);
    EXPECT_EQ(server.blocks[0].first_ts, "2023-11-14 22:13:20.000000+00");
}
