// The spool on its own: order, replay across processes (files left behind),
// and what a torn or corrupted file does (reported, skipped, never replayed).

#include "spool.hpp"
#include "spool_format.hpp"
#include "trace_core.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace trace;

namespace {

Batch make_batch(const std::string &id, int rows) {
    Batch b;
    b.table = Table::requests;
    b.id = id;
    b.host = "web-1";
    for (int i = 0; i < rows; ++i) {
        b.rows += id + "\trow " + std::to_string(i) + "\n";
    }
    b.row_count = static_cast<std::uint32_t>(rows);
    return b;
}

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trace-spool-test-XXXXXX";
        dir_ = mkdtemp(tmpl);
    }
    void TearDown() override {
        std::string cmd = "rm -rf " + dir_;
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    SpoolConfig config(std::uint64_t max = 1 << 30, std::uint64_t segment = 1 << 20) {
        SpoolConfig c;
        c.dir = dir_;
        c.max_size = max;
        c.segment_size = segment;
        return c;
    }

    Spool::Notice collect() {
        return [this](int level, const std::string &m) { notices_.push_back({level, m}); };
    }

    std::vector<std::string> files(const std::string &suffix = ".spool") {
        std::vector<std::string> out;
        DIR *d = opendir(dir_.c_str());
        while (dirent *e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
                out.push_back(dir_ + "/" + n);
            }
        }
        closedir(d);
        return out;
    }

    std::vector<std::string> drain(Spool &s) {
        std::vector<std::string> ids;
        Batch b;
        while (s.peek(b)) {
            ids.push_back(b.id);
            s.advance();
        }
        return ids;
    }

    std::string dir_;
    std::vector<std::pair<int, std::string>> notices_;
};

}  // namespace

TEST(SpoolFormat, RoundTrip) {
    Batch in = make_batch("abc-1", 3);
    std::string data;
    encode_spool_record(data, in);
    Batch out;
    std::size_t used = 0;
    ASSERT_EQ(decode_spool_record(data, out, used), SpoolRead::ok);
    EXPECT_EQ(used, data.size());
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.host, "web-1");
    EXPECT_EQ(out.rows, in.rows);
    EXPECT_EQ(out.row_count, 3u);
}

TEST(SpoolFormat, TornAndCorruptRecordsAreRecognised) {
    std::string data;
    encode_spool_record(data, make_batch("abc-1", 3));
    Batch out;
    std::size_t used = 0;
    for (std::size_t cut = 0; cut < data.size(); ++cut) {
        EXPECT_NE(decode_spool_record(std::string_view(data).substr(0, cut), out, used), SpoolRead::ok)
            << "cut at " << cut;
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
        std::string bad = data;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        EXPECT_NE(decode_spool_record(bad, out, used), SpoolRead::ok) << "flipped byte " << i;
    }
}

TEST_F(SpoolTest, ReplaysInOrderAndRemovesFinishedFiles) {
    Spool s(config(), collect());
    for (int i = 1; i <= 5; ++i) {
        ASSERT_TRUE(s.append(make_batch("b-" + std::to_string(i), i)));
    }
    EXPECT_TRUE(s.has_backlog());
    EXPECT_EQ(drain(s), (std::vector<std::string>{"b-1", "b-2", "b-3", "b-4", "b-5"}));
    EXPECT_FALSE(s.has_backlog());
    EXPECT_TRUE(files().empty());
}

TEST_F(SpoolTest, NewBatchesDuringReplayGoBehind) {
    Spool s(config(), collect());
    ASSERT_TRUE(s.append(make_batch("old-1", 1)));
    ASSERT_TRUE(s.append(make_batch("old-2", 1)));
    Batch b;
    ASSERT_TRUE(s.peek(b));
    EXPECT_EQ(b.id, "old-1");
    ASSERT_TRUE(s.append(make_batch("new-1", 1)));  // while old-1 is being replayed
    s.advance();
    EXPECT_EQ(drain(s), (std::vector<std::string>{"old-2", "new-1"}));
}

TEST_F(SpoolTest, UnacknowledgedBatchIsReplayedAgain) {
    Spool s(config(), collect());
    ASSERT_TRUE(s.append(make_batch("x-1", 1)));
    Batch b;
    ASSERT_TRUE(s.peek(b));
    ASSERT_TRUE(s.peek(b));  // not advanced: the same batch
    EXPECT_EQ(b.id, "x-1");
}

TEST_F(SpoolTest, FilesOfAnEarlierProcessAreClaimedAndReplayedFirst) {
    {
        Spool earlier(config(), collect());
        ASSERT_TRUE(earlier.append(make_batch("earlier-1", 2)));
        ASSERT_TRUE(earlier.append(make_batch("earlier-2", 2)));
        // its process goes away: files stay, locks go
    }
    ASSERT_EQ(files().size(), 1u);
    Spool later(config(), collect());
    ASSERT_TRUE(later.append(make_batch("later-1", 1)));
    EXPECT_EQ(drain(later), (std::vector<std::string>{"earlier-1", "earlier-2", "later-1"}));
    ASSERT_FALSE(notices_.empty());
    EXPECT_NE(notices_[0].second.find("left by an earlier worker"), std::string::npos);
}

TEST_F(SpoolTest, ReplayResumesWhereTheEarlierProcessStopped) {
    {
        Spool earlier(config(), collect());
        for (int i = 1; i <= 4; ++i) {
            ASSERT_TRUE(earlier.append(make_batch("r-" + std::to_string(i), 2)));
        }
        Batch b;
        ASSERT_TRUE(earlier.peek(b));
        earlier.advance();              // r-1 committed
        ASSERT_TRUE(earlier.peek(b));   // r-2 in flight when the worker exits
        EXPECT_EQ(b.id, "r-2");
    }
    EXPECT_EQ(files(".replayed").size(), 1u);
    Spool later(config(), collect());
    EXPECT_EQ(drain(later), (std::vector<std::string>{"r-2", "r-3", "r-4"}));
    ASSERT_FALSE(notices_.empty());
    EXPECT_NE(notices_[0].second.find("where its replay stopped"), std::string::npos)
        << notices_[0].second;
    EXPECT_TRUE(files().empty());
    EXPECT_TRUE(files(".replayed").empty()) << "the hint goes with its file";
}

TEST_F(SpoolTest, AHintThatDoesNotPointAtARecordIsIgnored) {
    for (const std::string hint : {"9\n", "3\n", "junk\n", "99999999\n", "12abc\n", ""}) {
        {
            Spool earlier(config(), collect());
            ASSERT_TRUE(earlier.append(make_batch("h-1", 1)));
            ASSERT_TRUE(earlier.append(make_batch("h-2", 1)));
        }
        std::string f = files().at(0);
        int fd = open((f + ".replayed").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, hint.data(), hint.size()), static_cast<ssize_t>(hint.size()));
        close(fd);
        Spool later(config(), collect());
        EXPECT_EQ(drain(later), (std::vector<std::string>{"h-1", "h-2"})) << "hint " << hint;
        EXPECT_TRUE(files(".replayed").empty());
    }
}

TEST_F(SpoolTest, AFinishedReplayLeavesNoHint) {
    {
        Spool s(config(), collect());
        ASSERT_TRUE(s.append(make_batch("f-1", 1)));
        EXPECT_EQ(drain(s), (std::vector<std::string>{"f-1"}));
        ASSERT_TRUE(s.append(make_batch("f-2", 1)));  // spooled, never replayed
    }
    EXPECT_TRUE(files(".replayed").empty());
    Spool later(config(), collect());
    EXPECT_EQ(drain(later), (std::vector<std::string>{"f-2"}));
}

TEST_F(SpoolTest, ALiveWorkersFilesAreNotClaimed) {
    Spool alive(config(), collect());
    ASSERT_TRUE(alive.append(make_batch("alive-1", 1)));
    Spool other(config(), collect());
    other.claim_orphans();
    EXPECT_FALSE(other.has_backlog());
}

TEST_F(SpoolTest, TornTailIsDroppedTheRestReplayed) {
    {
        Spool s(config(), collect());
        ASSERT_TRUE(s.append(make_batch("t-1", 2)));
        ASSERT_TRUE(s.append(make_batch("t-2", 2)));
    }
    std::string f = files().at(0);
    struct stat st {};
    ASSERT_EQ(stat(f.c_str(), &st), 0);
    ASSERT_EQ(truncate(f.c_str(), st.st_size - 5), 0);  // a writer died mid-record
    Spool s(config(), collect());
    EXPECT_EQ(drain(s), (std::vector<std::string>{"t-1"}));
    EXPECT_TRUE(files().empty());
}

TEST_F(SpoolTest, CorruptFileIsReportedKeptAsideAndSkipped) {
    {
        Spool s(config(), collect());
        ASSERT_TRUE(s.append(make_batch("c-1", 2)));
        ASSERT_TRUE(s.append(make_batch("c-2", 2)));
        ASSERT_TRUE(s.append(make_batch("c-3", 2)));
    }
    std::string f = files().at(0);
    std::string first;
    encode_spool_record(first, make_batch("c-1", 2));
    int fd = open(f.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    off_t second = static_cast<off_t>(spool_file_magic.size() + first.size());
    ASSERT_EQ(pwrite(fd, "XXXX", 4, second + 30), 4);  // inside c-2's rows
    close(fd);

    Spool s(config(), collect());
    EXPECT_EQ(drain(s), (std::vector<std::string>{"c-1"}));
    EXPECT_EQ(files(".corrupt").size(), 1u);
    bool reported = false;
    for (const auto &[level, m] : notices_) {
        reported |= level == TRACE_LOG_ERR && m.find("corrupt") != std::string::npos;
    }
    EXPECT_TRUE(reported);
}

TEST_F(SpoolTest, DamagedLengthIsCorruptionNotATornTail) {
    {
        Spool s(config(), collect());
        ASSERT_TRUE(s.append(make_batch("d-1", 2)));
        ASSERT_TRUE(s.append(make_batch("d-2", 2)));
        ASSERT_TRUE(s.append(make_batch("d-3", 2)));
    }
    std::string f = files().at(0);
    std::string first;
    encode_spool_record(first, make_batch("d-1", 2));
    int fd = open(f.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    off_t second = static_cast<off_t>(spool_file_magic.size() + first.size());
    ASSERT_EQ(pwrite(fd, "\xff\xff\xff\x0f", 4, second + 16), 4);  // d-2's rows length
    close(fd);

    Spool s(config(), collect());
    EXPECT_EQ(drain(s), (std::vector<std::string>{"d-1"}));
    EXPECT_EQ(files(".corrupt").size(), 1u) << "kept for a look, not deleted as a torn tail";
}

TEST_F(SpoolTest, GarbageFileIsNotReplayed) {
    std::string path = dir_ + "/trace-00000000000000000001-1-1.spool";
    int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_EQ(write(fd, "not a spool file at all", 23), 23);
    close(fd);
    Spool s(config(), collect());
    EXPECT_FALSE(s.has_backlog());
    EXPECT_EQ(files(".corrupt").size(), 1u);
}

TEST_F(SpoolTest, FullSpoolRefusesAndSaysWhy) {
    Spool s(config(4096), collect());
    int accepted = 0;
    for (int i = 0; i < 100; ++i) {
        if (!s.append(make_batch("f-" + std::to_string(i), 10))) {
            break;
        }
        ++accepted;
    }
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, 100);
    EXPECT_NE(s.error().find("the spool is full"), std::string::npos);
    EXPECT_LE(s.bytes(), 4096u);
    // Replaying frees room again.
    drain(s);
    EXPECT_TRUE(s.append(make_batch("f-again", 10)));
}

TEST_F(SpoolTest, SegmentsRotateAndFilesAreMode0600) {
    Spool s(config(1 << 30, 1024), collect());
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(s.append(make_batch("s-" + std::to_string(i), 5)));
    }
    auto fs = files();
    EXPECT_GT(fs.size(), 1u);
    for (const auto &f : fs) {
        struct stat st {};
        ASSERT_EQ(stat(f.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
    auto ids = drain(s);
    ASSERT_EQ(ids.size(), 20u);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(ids[static_cast<std::size_t>(i)], "s-" + std::to_string(i));
    }
}

TEST_F(SpoolTest, UnwritableDirectorySaysWhy) {
    SpoolConfig c = config();
    c.dir = dir_ + "/missing";
    Spool s(c, collect());
    EXPECT_FALSE(s.append(make_batch("u-1", 1)));
    EXPECT_NE(s.error().find("cannot create spool file"), std::string::npos);
}

TEST(BatchSplit, HalvesWithDerivedIds) {
    Batch b = make_batch("id-7", 5);
    auto [l, r] = b.split();
    EXPECT_EQ(l.id, "id-7.0");
    EXPECT_EQ(l.host, "web-1");
    EXPECT_EQ(r.id, "id-7.1");
    EXPECT_EQ(l.row_count, 2u);
    EXPECT_EQ(r.row_count, 3u);
    EXPECT_EQ(l.rows + r.rows, b.rows);
    auto [l2, r2] = b.split();
    EXPECT_EQ(l2.rows, l.rows);  // the same split every time
}

// The distribution value: the same for a batch whatever its rows, 31 bits,
// and spread over batches (a host's batches go to many shards).
TEST(BatchKey, OfTheIdAloneAndSpread) {
    Batch b = make_batch("id-7", 5);
    Batch same_id = make_batch("id-7", 2);
    EXPECT_EQ(b.key(), same_id.key());
    EXPECT_GE(b.key(), 0);
    std::set<std::int32_t> keys;
    std::set<std::int32_t> shards;  // of 32, as Citus makes by default
    for (int i = 0; i < 1000; ++i) {
        Batch x = make_batch("00000000000000aa-" + std::to_string(i), 1);
        keys.insert(x.key());
        shards.insert(x.key() % 32);
        EXPECT_GE(x.key(), 0);
    }
    EXPECT_EQ(keys.size(), 1000u);
    EXPECT_EQ(shards.size(), 32u);
    EXPECT_NE(b.split().first.key(), b.split().second.key());
}
