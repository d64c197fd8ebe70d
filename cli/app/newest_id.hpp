// The newest id a trace table has given out, without an index on id.
//
// trace.requests has no index on id (sql/0007): its identity sequence says
// the last id handed out, to a row committed, in flight or rolled back. That
// is an upper bound of every id visible now, which is all an anchor ("rows
// with id <= N") or a --follow floor ("rows with id > N") needs. Where the
// role may not read the sequence (trace.audit's; a schema before 0007) or it
// has given out nothing yet, max(id) answers, through the primary key those
// tables have.

#ifndef TRACE_CTL_APP_NEWEST_ID_HPP
#define TRACE_CTL_APP_NEWEST_ID_HPP

#include "app/pg.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace trace_ctl {

// Nothing when the table holds no row and its sequence has given out none.
std::optional<std::int64_t> newest_id(Connection &db, const std::string &table);

}  // namespace trace_ctl

#endif
