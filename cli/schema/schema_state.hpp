// What a database says about its trace schema: which migrations it has applied.
// Shared by `migrate` and `status`.

#ifndef TRACE_CTL_SCHEMA_SCHEMA_STATE_HPP
#define TRACE_CTL_SCHEMA_SCHEMA_STATE_HPP

#include "app/pg.hpp"
#include "schema/migrations.hpp"

#include <vector>

namespace trace_ctl {

// trace.schema_migrations exists (the schema was ever migrated).
bool schema_table_exists(Connection &db);

// Applied migrations, oldest first; call only when schema_table_exists.
std::vector<AppliedMigration> read_applied(Connection &db);

}  // namespace trace_ctl

#endif
