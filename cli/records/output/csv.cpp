#include "records/output/csv.hpp"

#include "app/time_text.hpp"
#include "records/escaping.hpp"

#include <ostream>

namespace trace_ctl {

namespace {

class CsvWriter : public RecordWriter {
public:
    CsvWriter(const ColumnSet &set, std::ostream &out) : set_(set), out_(out) {}

    void begin(const std::vector<RecordRow> &first_rows) override {
        out_ << csv_header(set_.columns);
        for (const RecordRow &row : first_rows) {
            write(row);
        }
    }

    void write(const RecordRow &row) override { out_ << csv_record(set_.columns, row); }

    void finish() override {}

private:
    const ColumnSet &set_;
    std::ostream &out_;
};

}  // namespace

std::optional<std::string> csv_value(ColumnKind kind, const std::optional<std::string> &raw) {
    if (raw && kind == ColumnKind::time) {
        if (auto v = integer_value(*raw)) {
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
    RecordRow safe = terminal_safe_row(columns, row);
    std::vector<std::optional<std::string>> fields;
    for (size_t i = 0; i < columns.size(); ++i) {
        fields.push_back(csv_value(columns[i].kind, i < safe.size() ? safe[i] : std::nullopt));
    }
    return csv_line(fields);
}

std::unique_ptr<RecordWriter> make_csv_writer(const ColumnSet &set, std::ostream &out) {
    return std::make_unique<CsvWriter>(set, out);
}

}  // namespace trace_ctl
