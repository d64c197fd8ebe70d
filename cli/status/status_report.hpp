// What `trace-ctl status` found out, and how it is shown: a few aligned lines
// for people, or one JSON object for programs.

#ifndef TRACE_CTL_STATUS_STATUS_REPORT_HPP
#define TRACE_CTL_STATUS_STATUS_REPORT_HPP

#include "app/time_text.hpp"
#include "status/module_status.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trace_ctl {

struct TableReport {
    std::string name;  // "trace.requests"
    bool exists = false;
    std::optional<std::int64_t> rows;  // nullopt: an estimate was asked and none exists
    bool rows_exact = true;
    std::optional<EpochMicros> oldest;
    std::optional<EpochMicros> newest;
    std::optional<double> oldest_age_seconds;
    std::optional<double> newest_age_seconds;
    std::optional<std::int64_t> max_id;
};

// The block summaries of sql/0006: rows that no block covers are read by every
// filtered listing, whatever its filter; trace-ctl migrate writes their blocks.
struct SummaryReport {
    bool exists = false;  // the schema has them (0006)
    std::int64_t uncovered_rows = 0;  // NOT summarised AND id > through_id
    std::optional<std::int64_t> through_id;  // how far migrate has written blocks

    // What to do about uncovered rows; empty when there are none.
    std::string hint() const;
};

// The overview's summaries of sql/0009 (trace-ctl rollup) over the last 7
// days' ended hours: how many are current, how many hold rows and are not
// (until rollup runs, the overview reads their rows: slower, as exact).
struct RollupReport {
    bool exists = false;      // the schema has them (0009)
    bool distributed = false; // on Citus, which keeps none
    std::int64_t hours_current = 0;
    std::int64_t hours_due = 0;
    std::optional<EpochMicros> last_run;  // the newest summary's time
    std::optional<double> last_run_age_seconds;

    // What to do about hours due; empty when there are none.
    std::string hint() const;
};

struct StatusReport {
    bool database_reachable = false;
    std::string database_error;
    std::string server_version;
    std::string database;
    std::string user;

    bool schema_exists = false;  // trace.schema_migrations is there
    int schema_version = 0;  // newest applied migration
    std::string schema_name;  // its name
    std::vector<std::string> pending;  // "0002_reading_indexes"
    std::vector<std::string> problems;  // changed or unknown migrations

    std::vector<TableReport> tables;
    SummaryReport summaries;
    RollupReport rollups;

    std::string module_url;  // empty: not configured
    bool module_reachable = false;
    std::string module_error;
    ModuleCounters module;

    // Everything answered and the schema is current. Rows no block covers
    // are not a fault (every listing still finds them, only slower): the hint
    // says what to do, and the exit status stays 0.
    bool healthy() const;
};

std::string status_text(const StatusReport &report);
nlohmann::ordered_json status_json(const StatusReport &report);

}  // namespace trace_ctl

#endif
