// What the overview's two ways of reading (the rows, console/overview_data.cpp;
// the rollups and the rows they do not cover, console/overview_rollup.cpp)
// share, so that they count alike: the status classes' conditions, the
// counted top lists' grouping and ranking, and percentile_cont.

#ifndef TRACE_CTL_CONSOLE_OVERVIEW_SQL_HPP
#define TRACE_CTL_CONSOLE_OVERVIEW_SQL_HPP

#include "app/pg.hpp"
#include "console/overview_data.hpp"

#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

// Each condition matches the list its link opens (status=1xx is status < 200,
// as the CLI's classes start at 100); sql/0009's rollup_paths counts the same.
inline constexpr const char *status_class_conditions[] = {
    "status < 200", "status BETWEEN 200 AND 299", "status BETWEEN 300 AND 399",
    "status BETWEEN 400 AND 499", "status >= 500"};

// Rows of each top list.
inline constexpr int top_list_rows = 10;

// A number of a result, `unset` where it is NULL.
double number_at(const Result &r, int row, int col, double unset);

// The counted top lists.
enum class TopDim { path, user, client, agent };

// The rows of `rows_sql` (columns path, path_e, user_name, user_e, client,
// user_agent, agent_e, status) counted per value of each of `dims`, in one
// pass: rows (dim, value, escaped, n, errors), errors being 4xx and 5xx.
std::string counted_per_dim(const std::string &rows_sql, const std::vector<TopDim> &dims);

// The columns counted_per_dim reads, from trace.requests.
extern const char *const counted_columns;

// Ranks `counts_sql`'s rows (dim, value, escaped, n, errors; those of one
// value summed) and fills the lists of `tops` for `dims`: the top by count of
// each, and with the paths the top paths by errors.
void read_ranked_tops(Connection &db, const std::string &counts_sql,
                      const std::vector<std::optional<std::string>> &params,
                      const std::vector<TopDim> &dims, Tops &tops);

// PostgreSQL's percentile_cont(fraction) over `values` (reordered), to the
// bit: the same interpolation between the same two neighbours. -1 when empty.
double percentile_cont(std::vector<double> &values, double fraction);

}  // namespace trace_ctl

#endif
