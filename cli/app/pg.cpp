#include "app/pg.hpp"

#include "common/conninfo.hpp"
#include "common/one_line.hpp"

#include <cstdlib>

namespace trace_ctl {

using trace::one_line;

std::optional<std::string> Result::get_optional(int row, int col) const {
    if (is_null(row, col)) {
        return std::nullopt;
    }
    return std::string(get(row, col));
}

long long Result::get_int(int row, int col) const {
    return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

long long Result::affected() const {
    const char *n = PQcmdTuples(res_.get());
    return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

Connection Connection::open(const std::string &conninfo) {
    if (std::optional<std::string> problem = trace::conninfo_problem(conninfo)) {
        throw PgError("bad connection string: " + *problem);
    }
    const char *keywords[] = {"dbname", "application_name", "client_encoding", nullptr};
    const char *values[] = {conninfo.c_str(), "trace-ctl", "UTF8", nullptr};
    PGconn *conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn == nullptr) {
        throw PgError("cannot connect to PostgreSQL: out of memory");
    }
    Connection c(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        throw PgError("cannot connect to PostgreSQL: " + one_line(PQerrorMessage(conn)));
    }
    return c;
}

Result Connection::check(PGresult *res, const std::string &sql) {
    Result result(res);
    if (res == nullptr) {
        throw PgError(one_line(PQerrorMessage(conn_.get())));
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return result;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    // The server's own sentence, without libpq's "ERROR:  " and context lines.
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    std::string message = one_line(primary ? primary : PQresultErrorMessage(res));
    if (message.empty()) {
        message = "statement failed: " + one_line(sql.substr(0, 80));
    }
    throw PgError(message, state ? state : "", primary ? one_line(primary) : "");
}

Result Connection::exec(const std::string &sql) {
    return check(PQexec(conn_.get(), sql.c_str()), sql);
}

Result Connection::exec_params(const std::string &sql,
                               const std::vector<std::optional<std::string>> &params) {
    return exec_in_format(sql, params, 0);
}

Result Connection::exec_binary(const std::string &sql,
                               const std::vector<std::optional<std::string>> &params) {
    return exec_in_format(sql, params, 1);
}

Result Connection::exec_in_format(const std::string &sql,
                                  const std::vector<std::optional<std::string>> &params,
                                  int result_format) {
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    return check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                              nullptr, values.data(), nullptr, nullptr, result_format),
                 sql);
}

}  // namespace trace_ctl
