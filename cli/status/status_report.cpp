#include "status/status_report.hpp"

#include "app/table_output.hpp"

#include <sstream>

namespace trace_ctl {

namespace {

nlohmann::ordered_json optional_json(const std::optional<std::int64_t> &v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json optional_json(const std::optional<double> &v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json time_json(const std::optional<EpochMicros> &t) {
    return t ? nlohmann::ordered_json(format_utc_time(*t)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json error_json(const std::string &error) {
    return error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(error);
}

std::string label(const std::string &name) {
    std::string padded = name;
    padded.resize(std::max<size_t>(padded.size() + 2, 16), ' ');  // "trace.rejected  "
    return padded;
}

std::string when(const std::optional<EpochMicros> &t, const std::optional<double> &age) {
    return format_local_time(*t) + (age ? " (" + format_age(*age) + ")" : "");
}

std::string table_line(const TableReport &t) {
    if (!t.exists) {
        return "missing";
    }
    std::string line;
    if (t.rows) {
        line = std::string(t.rows_exact ? "" : "about ") + std::to_string(*t.rows) +
               (*t.rows == 1 ? " row" : " rows");
    } else {
        line = "row count unknown (never analyzed)";
    }
    if (t.oldest) {
        line += ", oldest " + when(t.oldest, t.oldest_age_seconds);
    }
    if (t.newest) {
        line += ", newest " + when(t.newest, t.newest_age_seconds);
    }
    return line;
}

std::string schema_line(const StatusReport &r) {
    std::string line = r.schema_exists
                           ? "version " + std::to_string(r.schema_version) +
                                 (r.schema_name.empty() ? "" : " (" + r.schema_name + ")")
                           : "not created";
    line += ", " + std::to_string(r.pending.size()) + " pending migration" +
            (r.pending.size() == 1 ? "" : "s");
    if (!r.pending.empty()) {
        line += " (trace-ctl migrate applies them)";
    }
    return line;
}

std::string summaries_line(const SummaryReport &s) {
    if (s.uncovered_rows == 0) {
        return "every request row is covered by a block";
    }
    return std::to_string(s.uncovered_rows) +
           (s.uncovered_rows == 1 ? " request row that no block covers"
                                  : " request rows that no block covers") +
           " (" + s.hint() + ")";
}

std::string rollups_line(const RollupReport &r) {
    if (r.distributed) {
        return "none: trace.requests is distributed by Citus (the console reads the rows)";
    }
    std::string line = std::to_string(r.hours_current) + " of the last 7 days' 168 hours current";
    if (r.hours_due > 0) {
        line += ", " + std::to_string(r.hours_due) + " with rows due (" + r.hint() + ")";
    }
    return line + (r.last_run ? ", last made " + when(r.last_run, r.last_run_age_seconds)
                              : ", never made");
}

}  // namespace

std::string RollupReport::hint() const {
    if (hours_due == 0) {
        return "";
    }
    return "run trace-ctl rollup, from cron; until then the overview reads the rows of " +
           std::string(hours_due == 1 ? "that hour" : "those hours");
}

std::string SummaryReport::hint() const {
    if (uncovered_rows == 0) {
        return "";
    }
    return uncovered_rows == 1 ? "run trace-ctl migrate to summarise it"
                               : "run trace-ctl migrate to summarise them";
}

bool StatusReport::healthy() const {
    return database_reachable && database_error.empty() && schema_exists && pending.empty() &&
           problems.empty() && (module_url.empty() || module_reachable);
}

std::string status_text(const StatusReport &r) {
    std::ostringstream out;
    if (!r.database_reachable) {
        out << label("database") << "UNREACHABLE: " << terminal_safe(r.database_error) << '\n';
    } else if (!r.database_error.empty()) {
        out << label("database") << "reachable, but: " << terminal_safe(r.database_error) << '\n';
    } else {
        out << label("database") << "reachable: PostgreSQL " << r.server_version << ", database "
            << terminal_safe(r.database) << " as " << terminal_safe(r.user) << '\n';
        out << label("schema") << schema_line(r) << '\n';
        for (const std::string &p : r.problems) {
            out << label("") << "problem: " << terminal_safe(p) << '\n';
        }
        for (const TableReport &t : r.tables) {
            out << label(t.name) << table_line(t) << '\n';
        }
        if (r.summaries.exists) {
            out << label("summaries") << summaries_line(r.summaries) << '\n';
        }
        if (r.rollups.exists) {
            out << label("rollups") << rollups_line(r.rollups) << '\n';
        }
    }
    if (!r.module_url.empty()) {
        out << label("module") << terminal_safe(r.module_url) << ": ";
        if (!r.module_reachable) {
            out << "UNREACHABLE: " << terminal_safe(r.module_error) << '\n';
        } else {
            out << r.module.workers.size() << " worker" << (r.module.workers.size() == 1 ? "" : "s")
                << '\n';
            for (const auto &worker : r.module.workers) {
                out << label("") << "worker " << counters_line(worker) << '\n';
            }
            out << label("") << "total " << counters_line(r.module.totals) << '\n';
        }
    }
    return out.str();
}

nlohmann::ordered_json status_json(const StatusReport &r) {
    nlohmann::ordered_json doc;
    doc["ok"] = r.healthy();
    doc["database"] = {{"reachable", r.database_reachable},
                       {"error", error_json(r.database_error)},
                       {"server_version", r.server_version},
                       {"database", r.database},
                       {"user", r.user}};
    doc["schema"] = {{"exists", r.schema_exists},
                     {"version", r.schema_version},
                     {"name", r.schema_name},
                     {"pending", r.pending},
                     {"problems", r.problems}};
    doc["tables"] = nlohmann::ordered_json::array();
    for (const TableReport &t : r.tables) {
        doc["tables"].push_back({{"name", t.name},
                                 {"exists", t.exists},
                                 {"rows", optional_json(t.rows)},
                                 {"rows_exact", t.rows_exact},
                                 {"oldest", time_json(t.oldest)},
                                 {"newest", time_json(t.newest)},
                                 {"oldest_age_seconds", optional_json(t.oldest_age_seconds)},
                                 {"newest_age_seconds", optional_json(t.newest_age_seconds)},
                                 {"max_id", optional_json(t.max_id)}});
    }
    if (r.summaries.exists) {
        doc["summaries"] = {{"uncovered_rows", r.summaries.uncovered_rows},
                            {"through_id", optional_json(r.summaries.through_id)},
                            {"hint", error_json(r.summaries.hint())}};
    } else {
        doc["summaries"] = nullptr;  // a schema before 0006, or none
    }
    if (r.rollups.exists) {
        doc["rollups"] = {{"distributed", r.rollups.distributed},
                          {"hours_current", r.rollups.hours_current},
                          {"hours_due", r.rollups.hours_due},
                          {"last_run", time_json(r.rollups.last_run)},
                          {"last_run_age_seconds", optional_json(r.rollups.last_run_age_seconds)},
                          {"hint", error_json(r.rollups.hint())}};
    } else {
        doc["rollups"] = nullptr;  // a schema before 0009, or none
    }
    if (r.module_url.empty()) {
        doc["module"] = nullptr;
    } else {
        doc["module"] = {{"url", r.module_url},
                         {"reachable", r.module_reachable},
                         {"error", error_json(r.module_error)},
                         {"workers", r.module.workers},
                         {"totals", r.module.totals}};
    }
    return doc;
}

}  // namespace trace_ctl
