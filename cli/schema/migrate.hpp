#ifndef TRACE_CTL_SCHEMA_MIGRATE_HPP
#define TRACE_CTL_SCHEMA_MIGRATE_HPP

#include "app/context.hpp"

namespace trace_ctl {

struct MigrateOptions {
    bool status = false;      // list applied and pending migrations, change nothing
    bool dry_run = false;     // say what would be applied, change nothing
    int lock_timeout_seconds = 60;
    int to_version = -1;      // apply only migrations up to this version (-1: all)
    bool distribute = false;  // then distribute the tables on a Citus coordinator
};

int run_migrate(const Context &ctx, const MigrateOptions &opts);

}  // namespace trace_ctl

#endif
