// A migration file cut into its statements, so that trace-ctl can send them one
// at a time: Citus refuses DDL on a distributed table inside a string of several
// statements (one simple query), which is how the file would otherwise go.

#ifndef TRACE_CTL_SCHEMA_SQL_STATEMENTS_HPP
#define TRACE_CTL_SCHEMA_SQL_STATEMENTS_HPP

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

class SqlSplitError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The statements of `sql`, each without its terminating semicolon, in order.
// Semicolons inside comments (-- and nested /* */), quoted strings ('...',
// E'...'), quoted identifiers ("...") and dollar-quoted bodies ($$...$$,
// $tag$...$tag$) do not end a statement; a piece that is only comments and
// blanks is no statement. Throws SqlSplitError when a quote or comment is not
// closed, naming the line where it opens.
std::vector<std::string> split_sql_statements(std::string_view sql);

}  // namespace trace_ctl

#endif
