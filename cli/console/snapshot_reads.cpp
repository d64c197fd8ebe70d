#include "console/snapshot_reads.hpp"

#include <exception>
#include <future>
#include <memory>

namespace trace_ctl {

namespace {

void begin(Connection &db, const std::string &setup) {
    db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!setup.empty()) {
        db.exec(setup);
    }
}

// The way out of a transaction that may have failed: errors are of no
// interest here (a broken connection is dropped by its lease anyway).
void roll_back(Connection &db) {
    PQclear(PQexec(db.raw(), "ROLLBACK"));
}

}  // namespace

void read_in_one_snapshot(ConnectionPool &pool, Connection &first, const std::string &setup,
                          const std::vector<SnapshotRead> &reads, const SnapshotRead &before) {
    std::vector<std::unique_ptr<ConnectionPool::Lease>> others;
    std::vector<Connection *> open;  // the connections inside a transaction
    try {
        begin(first, setup);
        open.push_back(&first);
        if (reads.size() > 1) {
            // An identifier such as 00000003-0000001B-1: quoted as a literal
            // all the same, SET TRANSACTION SNAPSHOT takes no parameter.
            std::string id(first.exec("SELECT pg_export_snapshot()").get(0, 0));
            std::unique_ptr<char, decltype(&PQfreemem)> literal(
                PQescapeLiteral(first.raw(), id.data(), id.size()), PQfreemem);
            for (size_t i = 1; i < reads.size(); ++i) {
                others.push_back(pool.acquire());
                Connection &db = **others.back();
                db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
                open.push_back(&db);
                db.exec(std::string("SET TRANSACTION SNAPSHOT ") + literal.get());
                if (!setup.empty()) {
                    db.exec(setup);
                }
            }
        }
        if (before) {
            before(first);
        }
    } catch (...) {
        for (Connection *db : open) {
            roll_back(*db);
        }
        throw;
    }

    std::vector<std::future<void>> running;
    for (size_t i = 1; i < reads.size(); ++i) {
        Connection &db = *open[i];
        running.push_back(std::async(std::launch::async, [&db, &reads, i] { reads[i](db); }));
    }
    std::exception_ptr failed;
    try {
        reads[0](first);
    } catch (...) {
        failed = std::current_exception();
    }
    for (std::future<void> &f : running) {
        try {
            f.get();
        } catch (...) {
            if (!failed) {
                failed = std::current_exception();
            }
        }
    }
    if (failed) {
        for (Connection *db : open) {
            roll_back(*db);
        }
        std::rethrow_exception(failed);
    }
    for (Connection *db : open) {
        db->exec("COMMIT");
    }
}

}  // namespace trace_ctl
