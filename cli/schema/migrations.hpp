// The schema migrations compiled into trace-ctl, and the pure logic that
// decides what `migrate` has to do.

#ifndef TRACE_CTL_SCHEMA_MIGRATIONS_HPP
#define TRACE_CTL_SCHEMA_MIGRATIONS_HPP

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

struct SqlFile {
    std::string_view file_name;   // e.g. "0001_init.sql"
    std::string_view text;
};

// Every sql/*.sql file, in file-name order (generated at build time).
const std::vector<SqlFile> &embedded_sql_files();

struct Migration {
    int version = 0;              // 1 for 0001_init.sql
    std::string name;             // "init"
    std::string file_name;
    std::string sql;
    std::string checksum;         // SHA-256 of the file, hex
};

struct AppliedMigration {
    int version = 0;
    std::string name;
    std::string checksum;
    std::string applied_at;
};

class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Turns files named NNNN_name.sql into migrations, in version order. Throws
// MigrationError for a badly named file or a version used twice.
std::vector<Migration> parse_migrations(const std::vector<SqlFile> &files);

struct MigrationPlan {
    std::vector<Migration> pending;          // to apply, in order
    std::vector<std::string> problems;       // each one line; any problem blocks migrate
};

// Compares what the database has applied with what this trace-ctl carries:
// an applied migration whose file changed, or one this trace-ctl does not know,
// is a problem; what is not applied yet is pending. Pending older than the
// newest applied is a problem too, except 0000 (the ledger, run again harmlessly).
MigrationPlan plan_migrations(const std::vector<Migration> &available,
                              const std::vector<AppliedMigration> &applied);

std::string sha256_hex(std::string_view data);

}  // namespace trace_ctl

#endif
