// Help texts that more than one command's --help ends with.

#ifndef TRACE_CTL_APP_COMMAND_HELP_HPP
#define TRACE_CTL_APP_COMMAND_HELP_HPP

namespace trace_ctl {

inline constexpr const char *exit_codes_help =
    "Exit status: 0 success; 1 the work failed (database unreachable, migration\n"
    "refused, ...); 2 bad command line or configuration. check-resources follows\n"
    "the Nagios plugin convention instead (see its --help).";

inline constexpr const char *connection_help =
    "The database is --db, else `database` in the configuration file, else libpq's\n"
    "PG* environment variables (PGHOST, PGDATABASE, PGUSER, PGPASSFILE, ...).\n"
    "Passwords belong in a passfile (~/.pgpass or passfile=...), never on the\n"
    "command line, where ps would show them.";

}  // namespace trace_ctl

#endif
