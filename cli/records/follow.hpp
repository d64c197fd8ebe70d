// --follow: the newest rows of a listing, oldest first, then every new row as
// it arrives, as tail -f does, until the reader goes away; a lost database
// connection is said on stderr and opened again.

#ifndef TRACE_CTL_RECORDS_FOLLOW_HPP
#define TRACE_CTL_RECORDS_FOLLOW_HPP

#include "app/context.hpp"
#include "app/output_format.hpp"
#include "app/pg.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"
#include "records/list_options.hpp"

namespace trace_ctl {

int follow_records(const Context &ctx, Connection db, const ColumnSet &shown,
                   const ListOptions &opts, RecordFilter filter, OutputFormat format);

}  // namespace trace_ctl

#endif
