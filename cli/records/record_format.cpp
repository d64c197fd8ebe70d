#include "records/record_format.hpp"

#include "app/time_text.hpp"

#include <cerrno>
#include <cstdlib>

namespace trace_ctl {

namespace {

std::optional<long long> to_integer(const std::string &text) {
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno == ERANGE) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> to_number(const std::string &text) {
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') {
        return std::nullopt;
    }
    return v;
}

// A value that does not read as its kind stays a string rather than vanishing.
nlohmann::ordered_json json_value(ColumnKind kind, const std::string &raw) {
    switch (kind) {
    case ColumnKind::integer:
        if (auto v = to_integer(raw)) {
            return *v;
        }
        break;
    case ColumnKind::seconds:
        if (auto v = to_number(raw)) {
            return *v;
        }
        break;
    case ColumnKind::time:
        if (auto v = to_integer(raw)) {
            return format_utc_time(*v);
        }
        break;
    case ColumnKind::boolean:
        if (raw == "t" || raw == "f") {
            return raw == "t";
        }
        break;
    case ColumnKind::text:
        break;
    }
    return raw;
}

}  // namespace

std::string epoch_micros_sql(const std::string &expression) {
    return "(extract(epoch FROM " + expression + ") * 1000000)::bigint";
}

nlohmann::ordered_json record_to_json(const std::vector<RecordColumn> &columns,
                                      const RecordRow &row) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t i = 0; i < columns.size(); ++i) {
        const auto &value = i < row.size() ? row[i] : std::nullopt;
        object[columns[i].name] =
            value ? json_value(columns[i].kind, *value) : nlohmann::ordered_json(nullptr);
    }
    return object;
}

std::string json_text(const nlohmann::ordered_json &value) {
    return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<std::string> csv_value(ColumnKind kind, const std::optional<std::string> &raw) {
    if (raw && kind == ColumnKind::time) {
        if (auto v = to_integer(*raw)) {
            return format_utc_time(*v);
        }
    }
    if (raw && kind == ColumnKind::boolean && (*raw == "t" || *raw == "f")) {
        return std::string(*raw == "t" ? "true" : "false");
    }
    return raw;
}

std::string csv_line(const std::vector<std::optional<std::string>> &fields) {
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            line += ',';
        }
        if (!fields[i]) {
            continue;
        }
        const std::string &f = *fields[i];
        if (!f.empty() && f.find_first_of(",\"\r\n") == std::string::npos) {
            line += f;
            continue;
        }
        line += '"';
        for (char c : f) {
            line += c;
            if (c == '"') {
                line += '"';
            }
        }
        line += '"';
    }
    return line + "\r\n";
}

std::string csv_header(const std::vector<RecordColumn> &columns) {
    std::vector<std::optional<std::string>> names;
    for (const RecordColumn &c : columns) {
        names.emplace_back(c.name);
    }
    return csv_line(names);
}

std::string csv_record(const std::vector<RecordColumn> &columns, const RecordRow &row) {
    std::vector<std::optional<std::string>> fields;
    for (size_t i = 0; i < columns.size(); ++i) {
        fields.push_back(csv_value(columns[i].kind, i < row.size() ? row[i] : std::nullopt));
    }
    return csv_line(fields);
}

}  // namespace trace_ctl
