// What a transaction of requests sends when the schema has
// trace.request_blocks: the rows with summarised appended, the blocks' INSERT,
// and what summarising costs the sender thread per row (printed, not
// asserted: the machine's speed is not the code's).

#include "common/block_summary.hpp"
#include "common/hex.hpp"
#include "encoded_requests.hpp"
#include "pg_link.hpp"
#include "request_blocks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <sys/resource.h>

using namespace trace;

namespace {

// Quotes as a server without standard_conforming_strings needs, the form
// PQescapeLiteral takes for a value with a backslash: E'...' with it doubled.
class QuotingLink : public Link {
public:
    bool connected() const override { return true; }
    const std::string &error() const override { return error_; }
    bool connect(Millis) override { return true; }
    void close() override {}
    std::optional<bool> query_bool(const std::string &, Millis) override { return true; }
    TxResult run(const std::string &, std::string_view, Millis) override { return {}; }
    std::string literal(std::string_view value) const override {
        std::string out = value.find('\\') == std::string_view::npos ? "'" : " E'";
        for (char c : value) {
            if (c == '\'' || c == '\\') {
                out += c;
            }
            out += c;
        }
        return out + "'";
    }
    void set_tick(std::function<void()>) override {}

private:
    std::string error_;
};

Batch batch_of_rows(const std::string &rows, std::uint32_t count) {
    Batch b;
    b.table = Table::requests;
    b.id = "00000000000000aa-7.1";
    b.host = "web'1";
    b.rows = rows;
    b.row_count = count;
    return b;
}

std::string hex_of(const std::string &bytes) {
    return to_hex(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
}

}  // namespace

TEST(SummarisedRows, EveryLineGainsTheFieldTrue) {
    EXPECT_EQ(summarised_rows("a\tb\n\\N\tc\\td\n"), "a\tb\tt\n\\N\tc\\td\tt\n");
    EXPECT_EQ(summarised_rows(""), "");
    EXPECT_EQ(summarised_request_columns(), std::string(TRACE_REQUEST_COLUMNS) + ", summarised");
}

TEST(RequestBlocksInsert, OneRowPerBlockEachValueQuotedByTheLink) {
    std::string rows = trace_test::encoded_requests(300, 1795758172000000LL);
    Batch b = batch_of_rows(rows, 300);
    std::vector<BlockSummary> blocks = summarise_request_copy_text(rows);
    ASSERT_EQ(blocks.size(), 2u);

    EXPECT_EQ(request_blocks_insert(b, QuotingLink()),
              "INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, "
              "row_count, keys, grams) VALUES "
              "('web''1', '00000000000000aa-7.1', 0, '2026-11-27 05:42:52.000000+00'::timestamptz, "
              "'2026-11-27 05:42:52.255000+00'::timestamptz, 256, "
              " E'\\\\x" + hex_of(blocks[0].keys) + "'::bytea,  E'\\\\x" + hex_of(blocks[0].grams) +
                  "'::bytea), "
              "('web''1', '00000000000000aa-7.1', 1, '2026-11-27 05:42:52.256000+00'::timestamptz, "
              "'2026-11-27 05:42:52.299000+00'::timestamptz, 44, "
              " E'\\\\x" + hex_of(blocks[1].keys) + "'::bytea,  E'\\\\x" + hex_of(blocks[1].grams) +
                  "'::bytea)");
}

TEST(RequestBlocksInsert, NoRowsNoStatement) {
    EXPECT_EQ(request_blocks_insert(batch_of_rows("", 0), QuotingLink()), "");
}

// Rows whose paths are about 8 KB: the same letter again and again (few
// distinct trigrams), or letters that hardly repeat (about 8,000 distinct
// trigrams a row), the worst a client can send.
std::string long_path_rows(int rows, bool distinct) {
    std::string one = trace_test::encoded_requests(1);
    std::size_t path_at = one.find("/app/") + 5;
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::uint32_t random = 12345;
    std::string out;
    for (int i = 0; i < rows; ++i) {
        std::string path(8000, letters[i % 26]);
        if (distinct) {
            for (char &c : path) {
                random = random * 1103515245u + 12345u;
                c = letters[(random >> 16) % 62];
            }
        }
        std::string row = one;
        row.insert(path_at, path + std::to_string(i));
        out += row;
    }
    return out;
}

long peak_rss_kb() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// What the sender thread spends per row on the blocks of a batch: summarising,
// the copy with summarised appended, and the INSERT's text; and how far the
// process's peak memory grew meanwhile.
TEST(RequestBlocksCost, PerRowIsPrinted) {
    struct Case {
        const char *name;
        std::string rows;
        std::uint32_t count;
        int rounds;
    };
    Case cases[] = {{"typical rows", trace_test::encoded_requests(4000), 4000, 5},
                    {"8 KB paths, one letter", long_path_rows(256, false), 256, 1},
                    {"8 KB paths, distinct trigrams", long_path_rows(64, true), 64, 1}};
    QuotingLink link;
    for (const Case &c : cases) {
        Batch b = batch_of_rows(c.rows, c.count);
        const int rounds = c.rounds;
        std::size_t sink = 0;
        long rss_before = peak_rss_kb();
        auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < rounds; ++r) {
            sink += summarise_request_copy_text(b.rows).size();
        }
        auto t1 = std::chrono::steady_clock::now();
        for (int r = 0; r < rounds; ++r) {
            sink += summarised_rows(b.rows).size();
        }
        auto t2 = std::chrono::steady_clock::now();
        for (int r = 0; r < rounds; ++r) {
            sink += request_blocks_insert(b, link).size();  // summarises again
        }
        auto t3 = std::chrono::steady_clock::now();
        auto per_row = [&](auto d) {
            return std::chrono::duration<double, std::nano>(d).count() / (rounds * c.count);
        };
        std::printf("[ cost     ] %s (%zu bytes a row), ns a row: summarise %.0f; the copy "
                    "with summarised %.0f; the blocks' INSERT, summarising included, %.0f; "
                    "peak memory +%ld KB\n",
                    c.name, c.rows.size() / c.count, per_row(t1 - t0), per_row(t2 - t1),
                    per_row(t3 - t2), peak_rss_kb() - rss_before);
        EXPECT_GT(sink, 0u);
    }
}
