#include "pg_link.hpp"

#include "common/one_line.hpp"
#include "trace_core.h"

#include <cerrno>
#include <cstdint>
#include <memory>
#include <poll.h>
#include <unistd.h>

namespace trace {

namespace {

struct ResultDeleter {
    void operator()(PGresult *r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// A unique violation (23505) by the ledger row's INSERT means "already
// written". Known by the statement and not by the constraint's name, which
// differs where the ledger is not a plain table (on Citus the error names a
// shard's constraint, or none at all). The sender's transactions set the
// batch's key first (sender.cpp), so the ledger INSERT is the second.
constexpr std::string_view unique_violation = "23505";
constexpr int ledger_statement = 1;

}  // namespace

bool is_data_error(std::string_view sqlstate) {
    if (sqlstate.size() != 5) {
        return false;
    }
    std::string_view cls = sqlstate.substr(0, 2);
    return cls == "22" || cls == "23" || cls == "54";
}

std::string standard_literal(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    return out + "'";
}

NoticeLine notice_line(const char *severity, const char *primary, const char *detail,
                       const char *hint) {
    std::string name = one_line(severity && *severity ? severity : "NOTICE");
    // PostgreSQL's names and nginx's mean the same: WARNING, something may be
    // wrong though the command went on; NOTICE, worth knowing; INFO, asked for.
    // LOG and DEBUG reach a client only when it asks (client_min_messages).
    int level = name == "WARNING" ? TRACE_LOG_WARN
                : name == "NOTICE" ? TRACE_LOG_NOTICE
                                   : TRACE_LOG_INFO;
    std::string text = "trace: PostgreSQL " + name + ": " + one_line(primary ? primary : "");
    if (detail && *detail) {
        text += " DETAIL: " + one_line(detail);
    }
    if (hint && *hint) {
        text += " HINT: " + one_line(hint);
    }
    return {level, text};
}

PgLink::PgLink(std::string conninfo, const std::atomic<TimeCount> &hard_deadline, int wake_fd,
               Notice notice)
    : conninfo_(std::move(conninfo)),
      hard_deadline_(hard_deadline),
      wake_fd_(wake_fd),
      notice_(std::move(notice)) {}

// Called by libpq, on the sender thread, while it reads the server's messages.
void PgLink::receive_notice(void *self, const PGresult *notice) {
    auto *link = static_cast<PgLink *>(self);
    if (!link->notice_) {
        return;
    }
    try {
        // The English name when the server sends it (9.6 and later), as nginx's
        // levels are, whatever the server's lc_messages.
        const char *severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
        if (severity == nullptr) {
            severity = PQresultErrorField(notice, PG_DIAG_SEVERITY);
        }
        NoticeLine line = notice_line(severity,
                                      PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY),
                                      PQresultErrorField(notice, PG_DIAG_MESSAGE_DETAIL),
                                      PQresultErrorField(notice, PG_DIAG_MESSAGE_HINT));
        link->notice_(line.level, line.text);
    } catch (...) {
        // out of memory: the notice is lost, and nothing may unwind through libpq
    }
}

PgLink::~PgLink() { close(); }

void PgLink::close() {
    if (conn_ != nullptr) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
}

Clock::time_point PgLink::limit(Clock::time_point until) const {
    TimeCount hard = hard_deadline_.load(std::memory_order_acquire);
    return hard == no_deadline ? until : std::min(until, from_count(hard));
}

PgLink::Wait PgLink::wait_socket(bool for_write, Clock::time_point until) {
    for (;;) {
        Clock::time_point effective = limit(until);
        if (Clock::now() >= effective) {
            return Wait::timeout;
        }
        pollfd fds[2] = {
            {PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0},
            {wake_fd_, POLLIN, 0},
        };
        if (fds[0].fd < 0) {
            return Wait::failed;
        }
        int n = ::poll(fds, 2, std::min<int>(poll_timeout_ms(effective),
                                             static_cast<int>(tick_interval.count())));
        if (tick_) {
            tick_();
        }
        if (n < 0 && errno != EINTR) {
            return Wait::failed;
        }
        if (n > 0 && (fds[1].revents & POLLIN)) {
            // Only to notice a new hard deadline; the sender re-reads its queue
            // after every step, so no news is lost by consuming this.
            std::uint64_t drained;
            ssize_t ignored = ::read(wake_fd_, &drained, sizeof(drained));
            (void)ignored;
        }
        if (n > 0 && fds[0].revents != 0) {
            return Wait::ready;
        }
    }
}

bool PgLink::connect(Millis timeout) {
    close();
    Clock::time_point until = Clock::now() + timeout;
    // Keywords after "dbname" override the operator's string; those before it
    // are defaults the string may override. Keepalives notice a peer that
    // vanished without a word.
    const char *keywords[] = {"application_name", "keepalives", "keepalives_idle",
                              "dbname", "client_encoding", nullptr};
    const char *values[] = {"nginx-trace", "1", "30", conninfo_.c_str(), "UTF8", nullptr};
    conn_ = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) {
        error_ = "cannot connect to PostgreSQL: out of memory";
        return false;
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
        error_ = "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(conn_));
        close();
        return false;
    }
    // Before the first message is read: a server may say things at connect too.
    PQsetNoticeReceiver(conn_, &PgLink::receive_notice, this);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            error_ = "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(conn_));
            close();
            return false;
        }
        Wait w = wait_socket(st == PGRES_POLLING_WRITING, until);
        if (w != Wait::ready) {
            error_ = w == Wait::timeout ? "cannot connect to PostgreSQL: timed out"
                                        : "cannot connect to PostgreSQL: poll failed";
            close();
            return false;
        }
        st = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0) {
        error_ = "cannot make the PostgreSQL connection non-blocking";
        close();
        return false;
    }
    error_.clear();
    return true;
}

TxResult PgLink::fail(const std::string &what) {
    TxResult r;
    r.outcome = TxOutcome::failed;
    r.error = what;
    if (conn_ != nullptr) {
        std::string detail = one_line(PQerrorMessage(conn_));
        if (!detail.empty()) {
            r.error += ": " + detail;
        }
    }
    error_ = r.error;
    close();  // the connection's state is unknown now; start afresh
    return r;
}

bool PgLink::flush_output(Clock::time_point until) {
    for (;;) {
        int rc = PQflush(conn_);
        if (rc == 0) {
            return true;
        }
        if (rc < 0) {
            return false;
        }
        // The server may be waiting for us to read before it reads more.
        Wait w = wait_socket(true, until);
        if (w != Wait::ready || PQconsumeInput(conn_) == 0) {
            return false;
        }
    }
}

bool PgLink::put_copy_data(std::string_view data, Clock::time_point until) {
    constexpr std::size_t chunk = 64 * 1024;
    std::size_t off = 0;
    while (off < data.size()) {
        std::size_t n = std::min(chunk, data.size() - off);
        int rc = PQputCopyData(conn_, data.data() + off, static_cast<int>(n));
        if (rc < 0) {
            return false;
        }
        if (rc == 0) {  // libpq's buffer is full: let it drain
            if (wait_socket(true, until) != Wait::ready || !flush_output(until)) {
                return false;
            }
            continue;
        }
        off += n;
    }
    for (;;) {
        int rc = PQputCopyEnd(conn_, nullptr);
        if (rc < 0) {
            return false;
        }
        if (rc == 1) {
            return flush_output(until);
        }
        if (wait_socket(true, until) != Wait::ready || !flush_output(until)) {
            return false;
        }
    }
}

// Reads until libpq holds a whole result; nullptr, or what went wrong (the
// connection is then of no more use).
const char *PgLink::await_result(Clock::time_point until) {
    while (PQisBusy(conn_)) {
        Wait w = wait_socket(false, until);
        if (w == Wait::timeout) {
            return "PostgreSQL did not answer in time";
        }
        if (w != Wait::ready || PQconsumeInput(conn_) == 0) {
            return "connection to PostgreSQL lost";
        }
    }
    return nullptr;
}

std::optional<bool> PgLink::query_bool(const std::string &sql, Millis timeout) {
    if (conn_ == nullptr) {
        fail("not connected");
        return std::nullopt;
    }
    Clock::time_point until = Clock::now() + timeout;
    if (PQsendQuery(conn_, sql.c_str()) == 0 || !flush_output(until)) {
        fail("cannot send to PostgreSQL");
        return std::nullopt;
    }
    std::optional<bool> answer;
    std::string refused;
    for (;;) {
        if (const char *failure = await_result(until)) {
            fail(failure);
            return std::nullopt;
        }
        ResultPtr res(PQgetResult(conn_));
        if (!res) {
            break;
        }
        if (PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()) == 1 &&
            PQnfields(res.get()) == 1 && !PQgetisnull(res.get(), 0, 0)) {
            answer = std::string_view(PQgetvalue(res.get(), 0, 0)) == "t";
        } else if (refused.empty()) {
            refused = one_line(PQresultErrorMessage(res.get()));
        }
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        fail("connection to PostgreSQL lost");
        return std::nullopt;
    }
    if (!answer) {
        error_ = "PostgreSQL did not answer " + sql + ": " +
                 (refused.empty() ? std::string("no single boolean") : refused);
    }
    return answer;
}

TxResult PgLink::run(const std::string &sql, std::string_view copy_data, Millis timeout) {
    if (conn_ == nullptr) {
        return fail("not connected");
    }
    Clock::time_point until = Clock::now() + timeout;
    if (PQsendQuery(conn_, sql.c_str()) == 0 || !flush_output(until)) {
        return fail("cannot send to PostgreSQL");
    }

    std::string first_error;
    std::string first_state;
    int statement = 0;  // which statement the next result answers
    int first_error_statement = -1;
    for (;;) {
        if (const char *failure = await_result(until)) {
            return fail(failure);
        }
        ResultPtr res(PQgetResult(conn_));
        if (!res) {
            break;
        }
        switch (PQresultStatus(res.get())) {
        case PGRES_COPY_IN:
            if (!put_copy_data(copy_data, until)) {
                return fail("connection to PostgreSQL lost while copying");
            }
            break;
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
            break;
        default:
            if (first_error.empty()) {
                const char *state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
                first_state = state ? state : "";
                first_error_statement = statement;
                first_error = one_line(PQresultErrorMessage(res.get()));
                if (first_error.empty()) {
                    first_error = "query failed";
                }
            }
            break;
        }
        if (PQresultStatus(res.get()) != PGRES_COPY_IN) {
            ++statement;  // a COPY answers twice: COPY_IN, then its outcome
        }
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        return fail("connection to PostgreSQL lost");
    }

    TxResult r;
    if (first_error.empty()) {
        r.outcome = TxOutcome::committed;
    } else if (first_state == unique_violation && first_error_statement == ledger_statement) {
        r.outcome = TxOutcome::duplicate;
    } else {
        r.outcome = is_data_error(first_state) ? TxOutcome::data_error : TxOutcome::failed;
        r.error = first_error;
        error_ = first_error;
    }
    return r;
}

std::string PgLink::literal(std::string_view value) const {
    char *quoted = conn_ ? PQescapeLiteral(conn_, value.data(), value.size()) : nullptr;
    if (quoted == nullptr) {
        return standard_literal(value);  // without a connection: never the case when used
    }
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

}  // namespace trace
