#ifndef TRACE_CTL_SCHEMA_PRUNE_HPP
#define TRACE_CTL_SCHEMA_PRUNE_HPP

#include "app/context.hpp"

#include <cstdint>
#include <optional>

namespace trace_ctl {

struct PruneOptions {
    std::optional<std::int64_t> max_count;        // overrides max_log_count
    std::optional<std::int64_t> max_audit_count;  // overrides max_audit_count
    std::optional<std::int64_t> max_age_days;     // overrides max_age_days
    std::optional<std::int64_t> max_audit_age_days;  // overrides max_audit_age_days
    std::optional<std::int64_t> retention_days;   // overrides batch_retention_days
    std::int64_t batch_size = 10000;              // rows per DELETE transaction
    bool dry_run = false;                         // say what would go, change nothing
};

int run_prune(const Context &ctx, const PruneOptions &opts);

}  // namespace trace_ctl

#endif
