// What a transaction of requests sends when the database has
// trace.request_blocks (sql/0006): its rows marked summarised, and one row of
// trace.request_blocks for every block of them (common/block_summary.hpp), so
// that listings find the rows through the blocks and never miss one.
//
// Made in the sender thread from the batch as it is sent; the batch itself
// (in memory and in the spool) stays in the form every schema reads.

#ifndef TRACE_CORE_REQUEST_BLOCKS_HPP
#define TRACE_CORE_REQUEST_BLOCKS_HPP

#include "batch.hpp"
#include "link.hpp"

#include <string>
#include <string_view>

namespace trace {

// The COPY column list of summarised rows: TRACE_REQUEST_COLUMNS, summarised.
std::string summarised_request_columns();

// `rows` (COPY text, every line ending in '\n') with the field of
// `summarised`, true, appended to every line.
std::string summarised_rows(std::string_view rows);

// "INSERT INTO trace.request_blocks (...) VALUES (...), ..." for the blocks of
// exactly the batch's rows, numbered from 0 under its id; every value quoted by
// the link. Empty for a batch without rows.
std::string request_blocks_insert(const Batch &batch, const Link &link);

}  // namespace trace

#endif
