#include "app/newest_id.hpp"

namespace trace_ctl {

std::optional<std::int64_t> newest_id(Connection &db, const std::string &table) {
    // Its own statement: on Citus a query without FROM runs on the
    // coordinator, which owns the sequence, and max(id) is pushed to the
    // shards.
    Result seq = db.exec_params(
        "SELECT CASE WHEN has_sequence_privilege(s, 'SELECT')"
        " THEN pg_sequence_last_value(s::regclass) END"
        " FROM pg_get_serial_sequence($1, 'id') AS s",
        {table});
    if (seq.rows() == 1 && !seq.is_null(0, 0)) {
        return seq.get_int(0, 0);
    }
    Result max = db.exec("SELECT max(id) FROM " + table);
    if (max.is_null(0, 0)) {
        return std::nullopt;
    }
    return max.get_int(0, 0);
}

}  // namespace trace_ctl
