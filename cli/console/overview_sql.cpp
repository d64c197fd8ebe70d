#include "console/overview_sql.hpp"

#include <algorithm>
#include <cmath>

namespace trace_ctl {

namespace {

struct DimSql {
    const char *name, *value, *escaped, *set;
};

DimSql dim_sql(TopDim d) {
    switch (d) {
    case TopDim::path: return {"path", "path", "path_e", "(path, path_e)"};
    case TopDim::user: return {"user", "user_name", "user_e", "(user_name, user_e)"};
    // Grouped by the address, shown as host(): the text of a few thousand
    // groups, not of every row (a mask would make two addresses one text:
    // read_ranked_tops sums them).
    case TopDim::client: return {"client", "host(client)", "false", "(client)"};
    case TopDim::agent: break;
    }
    return {"agent", "user_agent", "agent_e", "(user_agent, agent_e)"};
}

}  // namespace

const char *const counted_columns =
    "path, coalesce('path' = ANY(escaped), false) AS path_e, user_name,"
    " coalesce('user_name' = ANY(escaped), false) AS user_e, client_addr AS client,"
    " user_agent, coalesce('user_agent' = ANY(escaped), false) AS agent_e, status";

double number_at(const Result &r, int row, int col, double unset) {
    return r.is_null(row, col) ? unset : std::stod(std::string(r.get(row, col)));
}

std::string counted_per_dim(const std::string &rows_sql, const std::vector<TopDim> &dims) {
    // CASE WHEN GROUPING(<set of the first>) = 0 THEN <its column> ... ELSE <the last's>
    auto pick = [&dims](const char *DimSql::*field, bool quoted) {
        std::string out = "CASE";
        for (size_t i = 0; i + 1 < dims.size(); ++i) {
            DimSql d = dim_sql(dims[i]);
            out += " WHEN GROUPING" + std::string(d.set) + " = 0 THEN " +
                   (quoted ? "'" + std::string(d.*field) + "'" : std::string(d.*field));
        }
        DimSql last = dim_sql(dims.back());
        return out + " ELSE " +
               (quoted ? "'" + std::string(last.*field) + "'" : std::string(last.*field)) + " END";
    };
    std::string sets;
    for (TopDim d : dims) {
        sets += (sets.empty() ? "" : ", ") + std::string(dim_sql(d).set);
    }
    return "SELECT " + pick(&DimSql::name, true) + " AS dim, " + pick(&DimSql::value, false) +
           " AS value, " + pick(&DimSql::escaped, false) +
           " AS escaped, count(*) AS n,"
           " count(*) FILTER (WHERE status BETWEEN 400 AND 599) AS errors FROM " + rows_sql +
           " GROUP BY GROUPING SETS (" + sets + ")";
}

void read_ranked_tops(Connection &db, const std::string &counts_sql,
                      const std::vector<std::optional<std::string>> &params,
                      const std::vector<TopDim> &dims, Tops &tops) {
    // Each list is a LIMIT over its dim's values: a sort that keeps the top
    // ten, not one of all the values (7,000 clients: 40 ms of collation).
    const std::string limit = " LIMIT " + std::to_string(top_list_rows) + ")";
    std::string lists;
    for (TopDim d : dims) {
        std::string name = dim_sql(d).name;
        lists += (lists.empty() ? "(" : " UNION ALL (") + std::string("SELECT '") + name +
                 "' AS list, value, escaped, n FROM g WHERE dim = '" + name +
                 "' ORDER BY n DESC, value" + limit;
        if (d == TopDim::path) {
            lists += " UNION ALL (SELECT 'errors', value, escaped, errors FROM g"
                     " WHERE dim = 'path' AND errors > 0 ORDER BY errors DESC, value" + limit;
        }
    }
    Result r = db.exec_params(
        "WITH g AS MATERIALIZED (SELECT dim, value, escaped, sum(n) AS n, sum(errors) AS errors"
        " FROM (" + counts_sql + ") AS c WHERE value IS NOT NULL GROUP BY 1, 2, 3"
        " HAVING sum(n) > 0) "
        "SELECT list, value, escaped, n FROM (" + lists + ") AS l ORDER BY list, n DESC, value",
        params);
    for (int i = 0; i < r.rows(); ++i) {
        std::string list(r.get(i, 0));
        (list == "path"     ? tops.paths
         : list == "errors" ? tops.error_paths
         : list == "user"   ? tops.users
         : list == "client" ? tops.clients
                            : tops.agents)
            .push_back({std::string(r.get(i, 1)), r.get(i, 2) == "t", number_at(r, i, 3, 0)});
    }
}

// As orderedsetaggs.c: rows first = floor(f * (n - 1)) and second = ceil(...)
// of the sorted values, and lo + (f * (n - 1) - first) * (hi - lo) between
// them (float8_lerp).
double percentile_cont(std::vector<double> &values, double fraction) {
    if (values.empty()) {
        return -1;
    }
    double at = fraction * static_cast<double>(values.size() - 1);
    auto first = static_cast<size_t>(std::floor(at));
    auto second = static_cast<size_t>(std::ceil(at));
    std::nth_element(values.begin(), values.begin() + first, values.end());
    double lo = values[first];
    if (second == first) {
        return lo;
    }
    // The next larger value: the least of those after `first`.
    double hi = *std::min_element(values.begin() + first + 1, values.end());
    return lo + (at - static_cast<double>(first)) * (hi - lo);
}

}  // namespace trace_ctl
