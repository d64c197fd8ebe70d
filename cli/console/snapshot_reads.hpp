// Reads that run at once, each on its own connection, all in one snapshot:
// the overview's panels each scan the window's rows, and PostgreSQL runs one
// statement on one CPU (none of these plans is parallel: ordered-set
// aggregates and GROUPING SETS are not), so side by side they take the time
// of the longest rather than of all of them. The first read runs on the
// page's connection, which exports its snapshot (pg_export_snapshot, also on
// a hot standby); the others take pool connections that import it, so every
// panel sees exactly the same rows.

#ifndef TRACE_CTL_CONSOLE_SNAPSHOT_READS_HPP
#define TRACE_CTL_CONSOLE_SNAPSHOT_READS_HPP

#include "app/pg.hpp"
#include "console/database.hpp"

#include <functional>
#include <vector>

namespace trace_ctl {

using SnapshotRead = std::function<void(Connection &)>;

// Runs every read, each in a REPEATABLE READ READ ONLY transaction with
// `setup` (SET LOCAL ...) run first, and returns once all have ended. `before`,
// when given, runs in the snapshot on the first connection before any read
// starts (what every read needs to know). A failed read fails the whole (its
// exception is rethrown, the first one's if several fail); the others are
// then left to finish before every transaction ends.
void read_in_one_snapshot(ConnectionPool &pool, Connection &first, const std::string &setup,
                          const std::vector<SnapshotRead> &reads,
                          const SnapshotRead &before = {});

}  // namespace trace_ctl

#endif
