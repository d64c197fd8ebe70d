// A small RAII layer over libpq for trace-ctl: connections, results, errors.

#ifndef TRACE_CTL_APP_PG_HPP
#define TRACE_CTL_APP_PG_HPP

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

// A failed statement or connection, with the server's SQLSTATE where there is one.
class PgError : public std::runtime_error {
public:
    PgError(const std::string &message, std::string sqlstate = {}, std::string primary = {})
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)),
          primary_(std::move(primary)) {}
    const std::string &sqlstate() const { return sqlstate_; }
    // The server's primary message alone ("relation ... does not exist"), without
    // "ERROR:" and the statement's context; what() where there is none.
    std::string primary() const { return primary_.empty() ? what() : primary_; }

private:
    std::string sqlstate_;
    std::string primary_;
};

class Result {
public:
    explicit Result(PGresult *res) : res_(res, PQclear) {}

    int rows() const { return PQntuples(res_.get()); }
    int columns() const { return PQnfields(res_.get()); }
    std::string column_name(int col) const { return PQfname(res_.get(), col); }
    bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
    std::string_view get(int row, int col) const {
        return {PQgetvalue(res_.get(), row, col),
                static_cast<size_t>(PQgetlength(res_.get(), row, col))};
    }
    std::optional<std::string> get_optional(int row, int col) const;
    long long get_int(int row, int col) const;
    // Rows affected by INSERT/UPDATE/DELETE.
    long long affected() const;

private:
    std::shared_ptr<PGresult> res_;
};

class Connection {
public:
    // An empty conninfo means libpq's defaults and PG* environment variables.
    static Connection open(const std::string &conninfo);

    Result exec(const std::string &sql);
    Result exec_params(const std::string &sql,
                       const std::vector<std::optional<std::string>> &params);
    // The same with every column of the result in PostgreSQL's binary format:
    // a bytea as its bytes, a text as its text (integers would be big-endian;
    // callers cast them to text).
    Result exec_binary(const std::string &sql,
                       const std::vector<std::optional<std::string>> &params);

    PGconn *raw() const { return conn_.get(); }

    // What a command learnt of the database and may ask again (whether a
    // table exists), kept as long as this connection: a new one asks anew.
    std::map<std::string, bool> &facts() { return *facts_; }

private:
    explicit Connection(PGconn *conn) : conn_(conn, PQfinish) {}
    Result check(PGresult *res, const std::string &sql);
    Result exec_in_format(const std::string &sql,
                          const std::vector<std::optional<std::string>> &params,
                          int result_format);

    std::shared_ptr<PGconn> conn_;
    std::shared_ptr<std::map<std::string, bool>> facts_ = std::make_shared<std::map<std::string, bool>>();
};

// libpq's messages end in a newline and may span lines; trace-ctl prints one line.

}  // namespace trace_ctl

#endif
