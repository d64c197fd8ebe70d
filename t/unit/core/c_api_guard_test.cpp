// No C++ exception crosses the C API (trace_core.h): an entry whose body
// throws returns its error value and says why where it reports errors. The
// bodies are made to throw three ways: an input that throws (a null path), a
// log callback that throws (what the exporter calls back), and std::bad_alloc
// at each allocation in turn, from the replacement operator new below.

#include "guard.hpp"
#include "spool.hpp"
#include "trace_core.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <vector>

// --- allocation failures, on the test's own thread only ------------------------
// fail_after = k: the k-th allocation from now on throws std::bad_alloc (k = 0:
// the next one), once; -1: none fails. The sender thread is never affected.

namespace {
thread_local long fail_after = -1;
thread_local bool failed = false;
}  // namespace

void *operator new(std::size_t size) {
    if (fail_after >= 0 && fail_after-- == 0) {
        failed = true;
        throw std::bad_alloc();
    }
    if (void *p = std::malloc(size ? size : 1)) {
        return p;
    }
    throw std::bad_alloc();
}

void operator delete(void *p) noexcept {
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept {
    std::free(p);
}

namespace {

// Runs call() with the k-th allocation failing, for k = 0, 1, ... until a run
// needs fewer allocations than that; check(result, failed) judges each run.
// Returns how many runs failed (at least one, or the test fails).
template <typename Call, typename Check>
int with_each_allocation_failing(Call call, Check check) {
    for (long k = 0; k < 10000; ++k) {
        failed = false;
        fail_after = k;
        auto result = call();
        fail_after = -1;
        check(result, failed);
        if (!failed) {
            EXPECT_GT(k, 0) << "the call allocates nothing: no failure was tried";
            return static_cast<int>(k);
        }
    }
    ADD_FAILURE() << "still failing after 10000 allocations";
    return -1;
}

std::string hash_of(const std::string &key, const std::string &token) {
    char out[TRACE_SESSION_HASH_LEN];
    EXPECT_EQ(trace_session_hash(reinterpret_cast<const unsigned char *>(key.data()), key.size(),
                                 reinterpret_cast<const unsigned char *>(token.data()),
                                 token.size(), out),
              0);
    return std::string(out, sizeof(out));
}

}  // namespace

// --- the guard itself -------------------------------------------------------------

TEST(Guard, ReturnsTheBodysValueOrTheFallbackWithTheReason) {
    char err[64] = "";
    EXPECT_EQ(trace::guarded(trace::ToErrBuf{err, sizeof(err)}, -1, [] { return 7; }), 7);
    EXPECT_STREQ(err, "");

    EXPECT_EQ(trace::guarded(trace::ToErrBuf{err, sizeof(err)}, -1,
                             []() -> int { throw std::runtime_error("no room"); }),
              -1);
    EXPECT_STREQ(err, "no room");

    EXPECT_EQ(trace::guarded(trace::ToErrBuf{err, sizeof(err)}, nullptr,
                             []() -> const char * { throw 42; }),
              nullptr);
    EXPECT_STREQ(err, "unknown exception");

    std::string said;
    auto report = [&](std::string_view m) noexcept { said.assign(m.data(), m.size()); };
    trace::guarded(report, [] { throw std::bad_alloc(); });
    EXPECT_EQ(said, std::bad_alloc().what());
}

// --- an input that throws -----------------------------------------------------------

TEST(Guard, ANullKeyPathIsAnErrorNotACrash) {
    unsigned char key[TRACE_SESSION_KEY_MAX];
    char err[256] = "";
    EXPECT_EQ(trace_session_key_read(nullptr, key, sizeof(key), err, sizeof(err)), -1);
    EXPECT_STRNE(err, "");
}

// --- std::bad_alloc at every allocation, entry by entry ----------------------------

TEST(Guard, ConfigurationEntriesFailCleanlyWhenMemoryRunsOut) {
    char err[256];

    std::string long_path = "/nonexistent/" + std::string(200, 'k');
    with_each_allocation_failing(
        [&] {
            err[0] = '\0';
            unsigned char key[TRACE_SESSION_KEY_MAX];
            return trace_session_key_read(long_path.c_str(), key, sizeof(key), err, sizeof(err));
        },
        [&](int rc, bool oom) {
            EXPECT_EQ(rc, -1);
            EXPECT_STREQ(
                err, oom ? "std::bad_alloc" : (long_path + ": No such file or directory").c_str());
        });

    with_each_allocation_failing(
        [&] {
            err[0] = '\0';
            return trace_regex_compile(reinterpret_cast<const unsigned char *>("^/a(b"), 5, err,
                                       sizeof(err));
        },
        [&](trace_regex_t *re, bool oom) {
            EXPECT_EQ(re, nullptr);
            EXPECT_NE(std::string(err), "") << "reason for " << (oom ? "oom" : "bad pattern");
        });

    with_each_allocation_failing(
        [&] {
            err[0] = '\0';
            return trace_regex_compile(reinterpret_cast<const unsigned char *>("^/login"), 7, err,
                                       sizeof(err));
        },
        [&](trace_regex_t *re, bool oom) {
            EXPECT_EQ(re == nullptr, oom);
            if (oom) {
                EXPECT_STREQ(err, "std::bad_alloc");
            } else {
                EXPECT_EQ(
                    trace_regex_match(re, reinterpret_cast<const unsigned char *>("/login"), 6), 1);
                trace_regex_free(re);
            }
        });

    trace_str_t names[2] = {
        {reinterpret_cast<const unsigned char *>("a_rather_long_secret_name*"), 26},
        {reinterpret_cast<const unsigned char *>("*another_long_token_name"), 24}};
    int runs = with_each_allocation_failing(
        [&] {
            err[0] = '\0';
            return trace_redactor_create(names, 2, err, sizeof(err));
        },
        [&](trace_redactor_t *r, bool oom) {
            EXPECT_EQ(r == nullptr, oom);
            if (oom) {
                EXPECT_STREQ(err, "std::bad_alloc");
            }
            trace_redactor_free(r);
        });
    EXPECT_GE(runs, 3);
}

TEST(Guard, RequestTimeEntriesFailCleanlyWhenMemoryRunsOut) {
    // Nothing but the entry may allocate while a failure is armed: the calls
    // below write into buffers made beforehand, and the checks read them.

    // A longer key each time, so that the cached copy must grow (an allocation);
    // longer than the keys of every other test, whose runs may come first in
    // this thread and leave the cache that large (session_hash_test: up to 200),
    // and than this test's own earlier runs (--gtest_repeat).
    static int round = 0;
    char key[2048];
    size_t keylen = 0;
    char out[TRACE_SESSION_HASH_LEN];
    with_each_allocation_failing(
        [&] {
            keylen = 400 + static_cast<size_t>(round++);
            std::memset(key, 'k', keylen);
            std::memset(out, '-', sizeof(out));
            return trace_session_hash(reinterpret_cast<const unsigned char *>(key), keylen,
                                      reinterpret_cast<const unsigned char *>("tok"), 3, out);
        },
        [&](int rc, bool oom) {
            EXPECT_EQ(rc, oom ? -1 : 0);
            EXPECT_EQ(std::string(out, sizeof(out)),
                      oom ? std::string(TRACE_SESSION_HASH_LEN, '-')
                          : hash_of(std::string(key, keylen), "tok"));
        });

    std::string header = "login someone%20with%20a%20long%20name";
    unsigned char user[64];
    size_t len = 0;
    with_each_allocation_failing(
        [&] {
            const char *action = nullptr;
            return trace_audit_header_parse(reinterpret_cast<const unsigned char *>(header.data()),
                                            header.size(), &action, user, &len);
        },
        [&](int rc, bool oom) {
            EXPECT_EQ(rc, oom ? -1 : 0);
            if (!oom) {
                EXPECT_EQ(std::string(reinterpret_cast<char *>(user), len),
                          "someone with a long name");
            }
        });

    std::string body = "next=%2Fhome&username=someone+with+a+long+name&password=x";
    unsigned char field[128];
    with_each_allocation_failing(
        [&] {
            return trace_form_field(
                reinterpret_cast<const unsigned char *>(body.data()), body.size(),
                reinterpret_cast<const unsigned char *>("username"), 8, field, &len);
        },
        [&](int rc, bool oom) {
            EXPECT_EQ(rc, oom ? 0 : 1);
            if (!oom) {
                EXPECT_EQ(std::string(reinterpret_cast<char *>(field), len),
                          "someone with a long name");
            }
        });

    trace_stats_t stats{};
    std::strcpy(stats.last_error, "trace: cannot connect to PostgreSQL: timed out");
    char error[sizeof(stats.last_error)];
    with_each_allocation_failing(
        [&] { return trace_stats_read_error(&stats, error, sizeof(error)); },
        [&](size_t n, bool oom) {
            EXPECT_STREQ(error, oom ? "" : stats.last_error);
            EXPECT_EQ(n, std::strlen(error));
        });
}

// --- the exporter: its log callback throws, memory runs out -----------------------

namespace {

struct Log {
    enum { quiet, throw_int, throw_bad_alloc } mode = quiet;
    std::vector<std::string> messages;
};

void log_callback(void *ctx, int, const char *msg, size_t len) {
    Log &log = *static_cast<Log *>(ctx);
    switch (log.mode) {
    case Log::throw_int:
        throw 42;
    case Log::throw_bad_alloc:
        throw std::bad_alloc();
    case Log::quiet:
        log.messages.emplace_back(msg, len);
    }
}

trace_exporter_t *start_exporter(Log &log, size_t buffer_size) {
    trace_exporter_conf_t conf{};
    // Nothing listens on port 1: the sender thread keeps failing to connect.
    conf.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";
    conf.host = "test";
    conf.buffer_size = buffer_size;
    conf.batch_size = 1024;
    conf.db_timeout_ms = 200;
    conf.log = log_callback;
    conf.log_ctx = &log;
    char err[256] = "";
    trace_exporter_t *exp = trace_exporter_start(&conf, err, sizeof(err));
    EXPECT_NE(exp, nullptr) << err;
    return exp;
}

trace_request_t request(const std::string &uri) {
    trace_request_t r{};
    r.start_us = 1700000000000000;
    r.method = {reinterpret_cast<const unsigned char *>("GET"), 3};
    r.uri = {reinterpret_cast<const unsigned char *>(uri.data()), uri.size()};
    r.status = 200;
    r.user = {reinterpret_cast<const unsigned char *>("alice"), 5};
    return r;
}

}  // namespace

TEST(Guard, AnExporterWhoseLogCallbackThrowsCarriesOn) {
    Log log;
    trace_exporter_t *exp = start_exporter(log, 4096);
    ASSERT_NE(exp, nullptr);
    std::string uri = "/" + std::string(300, 'x');
    trace_request_t req = request(uri);

    // Fill memory: the sender cannot deliver, so a row is dropped, and the
    // exporter says so through the callback, which throws.
    log.mode = Log::throw_int;
    int held = 0;
    while (trace_exporter_add_request(exp, &req) == 0) {
        ASSERT_LT(++held, 1000);
    }
    EXPECT_GT(held, 3);

    // The sender thread's "cannot connect" waits to be written: the callback throws.
    pollfd pfd{trace_exporter_notify_fd(exp), POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 10000), 1);
    log.mode = Log::throw_bad_alloc;
    trace_exporter_drain_log(exp);

    log.mode = Log::quiet;
    EXPECT_EQ(trace_exporter_has_pending(exp), 1);
    trace_exporter_stop(exp, 0);
}

TEST(Guard, ExporterEntriesFailCleanlyWhenMemoryRunsOut) {
    char dir[] = "/tmp/trace-guard-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    Log log;
    char err[256];
    trace_exporter_t *exp = nullptr;
    trace_exporter_conf_t conf{};
    conf.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";
    conf.host = "test";
    conf.batch_size = 1024;
    conf.db_timeout_ms = 200;
    conf.spool_dir = dir;  // where the rows go, to be read back below
    conf.log = log_callback;
    conf.log_ctx = &log;
    int runs = with_each_allocation_failing(
        [&] {
            err[0] = '\0';
            return trace_exporter_start(&conf, err, sizeof(err));
        },
        [&](trace_exporter_t *e, bool oom) {
            EXPECT_EQ(e == nullptr, oom);
            if (oom) {
                EXPECT_STREQ(err, "std::bad_alloc");
            }
            exp = e;
        });
    EXPECT_GE(runs, 3);
    ASSERT_NE(exp, nullptr);

    // A query to redact, and rows enough to seal batches: both allocate. A
    // failure while encoding loses the row (-1); one while sealing the batch
    // does not (0: the batch is sealed later). Either way, 0 means held.
    std::string uri = "/search?q=" + std::string(100, 'q') + "&password=" + std::string(40, 'p');
    trace_request_t req = request(uri);
    std::uint32_t added = 0, lost = 0;
    for (int i = 0; i < 20; ++i) {
        with_each_allocation_failing([&] { return trace_exporter_add_request(exp, &req); },
                                     [&](int rc, bool oom) {
                                         EXPECT_TRUE(rc == 0 || (oom && rc == -1));
                                         added += rc == 0;
                                         lost += rc == -1;
                                     });
    }
    EXPECT_GT(lost, 0u);
    bool reported = false;
    for (const auto &m : log.messages) {
        reported |= m == "trace: a request row is lost: std::bad_alloc";
    }
    EXPECT_TRUE(reported);

    // A flush that fails keeps the batch current, for the next one.
    ASSERT_EQ(trace_exporter_add_request(exp, &req), 0);
    ++added;
    with_each_allocation_failing(
        [&] {
            trace_exporter_flush(exp);
            return trace_exporter_has_pending(exp);
        },
        [](int pending, bool oom) { EXPECT_EQ(pending, oom ? 1 : 0); });
    trace_exporter_stop(exp, 0);

    // Every row that was taken reached the spool whole: a row cut short by a
    // failure would show as a line unlike the others.
    trace::Spool spool(trace::SpoolConfig{dir}, [](int, const std::string &) {});
    spool.claim_orphans();
    std::uint32_t spooled = 0;
    trace::Batch batch;
    std::string first_line;
    while (spool.peek(batch)) {
        spooled += batch.row_count;
        std::size_t lines = 0;
        for (std::size_t at = 0; at < batch.rows.size(); ++lines) {
            std::size_t nl = batch.rows.find('\n', at);
            ASSERT_NE(nl, std::string::npos);
            std::string line = batch.rows.substr(at, nl - at);
            if (first_line.empty()) {
                first_line = line;
            }
            EXPECT_EQ(line, first_line);
            at = nl + 1;
        }
        EXPECT_EQ(lines, batch.row_count);
        spool.advance();
    }
    EXPECT_EQ(spooled, added);
    EXPECT_NE(first_line.find("password=[REDACTED]"), std::string::npos) << first_line;
    spool.close();
    std::string cmd = std::string("rm -rf ") + dir;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
}
