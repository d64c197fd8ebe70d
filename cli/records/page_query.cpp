#include "records/page_query.hpp"

namespace trace_ctl {

RecordRow row_at(const Result &r, int i) {
    RecordRow row;
    for (int c = 0; c < r.columns(); ++c) {
        row.push_back(r.get_optional(i, c));
    }
    return row;
}

Page page_query(const PageQuery &query, const RecordFilter &filter, long long limit,
                long long offset) {
    WhereClause where = build_where(filter);
    int next = static_cast<int>(where.params.size()) + 1;
    Page page;
    page.sql = query(where, "$" + std::to_string(next), "$" + std::to_string(next + 1));
    page.params = std::move(where.params);
    page.params.emplace_back(std::to_string(limit));
    page.params.emplace_back(std::to_string(offset));
    return page;
}

std::string newest_first_query(const ColumnSet &set, const WhereClause &where,
                               const std::string &limit, const std::string &offset) {
    return "SELECT " + set.select_list() + " FROM " + set.table + " " + where.sql +
           " ORDER BY ts DESC, id DESC LIMIT " + limit + " OFFSET " + offset;
}

}  // namespace trace_ctl
