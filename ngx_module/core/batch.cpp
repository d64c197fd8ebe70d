#include "batch.hpp"

#include "row_encoder.hpp"

// Header-only, as in common/block_summary.cpp.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace trace {

const char *table_name(Table t) {
    return t == Table::audit ? "trace.audit" : "trace.requests";
}

const char *table_columns(Table t) {
    return t == Table::audit ? audit_columns : request_columns;
}

std::int32_t Batch::key() const {
    return static_cast<std::int32_t>(XXH3_64bits(id.data(), id.size()) & 0x7fffffff);
}

std::pair<Batch, Batch> Batch::split() const {
    std::uint32_t left_rows = row_count / 2;
    std::size_t cut = 0;
    for (std::uint32_t i = 0; i < left_rows; ++i) {
        cut = rows.find('\n', cut) + 1;
    }
    Batch left{table, id + ".0", host, rows.substr(0, cut), left_rows};
    Batch right{table, id + ".1", host, rows.substr(cut), row_count - left_rows};
    return {std::move(left), std::move(right)};
}

}  // namespace trace
