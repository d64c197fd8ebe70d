#include "schema/schema_state.hpp"

namespace trace_ctl {

bool schema_table_exists(Connection &db) {
    Result r = db.exec("SELECT to_regclass('trace.schema_migrations') IS NOT NULL");
    return r.get(0, 0) == "t";
}

std::vector<AppliedMigration> read_applied(Connection &db) {
    Result r = db.exec(
        "SELECT version, name, checksum, "
        "       to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS TZ') "
        "FROM trace.schema_migrations ORDER BY version");
    std::vector<AppliedMigration> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({static_cast<int>(r.get_int(i, 0)), std::string(r.get(i, 1)),
                       std::string(r.get(i, 2)), std::string(r.get(i, 3))});
    }
    return out;
}

}  // namespace trace_ctl
