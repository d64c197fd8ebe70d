// The SQL of one page of a listing: a query built around the filter's WHERE
// clause, with LIMIT and OFFSET as its last two parameters, and its rows read
// back as records.

#ifndef TRACE_CTL_RECORDS_PAGE_QUERY_HPP
#define TRACE_CTL_RECORDS_PAGE_QUERY_HPP

#include "app/pg.hpp"
#include "records/columns.hpp"
#include "records/filters.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// Builds the query of one page from its WHERE clause; the clause's parameters
// are followed by two more, $limit and $offset, named in the arguments.
using PageQuery = std::function<std::string(const WhereClause &where, const std::string &limit,
                                            const std::string &offset)>;

// The query of a page of `set`: newest first (by ts, then id).
std::string newest_first_query(const ColumnSet &set, const WhereClause &where,
                               const std::string &limit, const std::string &offset);

// A page's statement and all its parameters, the filter's then limit and offset.
struct Page {
    std::string sql;
    std::vector<std::optional<std::string>> params;
};
Page page_query(const PageQuery &query, const RecordFilter &filter, long long limit,
                long long offset);

// Row `i` of a result, as a record.
RecordRow row_at(const Result &r, int i);

}  // namespace trace_ctl

#endif
