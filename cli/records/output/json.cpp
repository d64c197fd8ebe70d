#include "records/output/json.hpp"

#include "app/output_format.hpp"
#include "app/time_text.hpp"

#include <cstdlib>
#include <ostream>

namespace trace_ctl {

namespace {

std::optional<double> to_number(const std::string &text) {
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') {
        return std::nullopt;
    }
    return v;
}

nlohmann::ordered_json json_value(ColumnKind kind, const std::string &raw) {
    switch (kind) {
    case ColumnKind::integer:
        if (auto v = integer_value(raw)) {
            return *v;
        }
        break;
    case ColumnKind::seconds:
        if (auto v = to_number(raw)) {
            return *v;
        }
        break;
    case ColumnKind::time:
        if (auto v = integer_value(raw)) {
            return format_utc_time(*v);
        }
        break;
    case ColumnKind::boolean:
        if (raw == "t" || raw == "f") {
            return raw == "t";
        }
        break;
    case ColumnKind::names: {
        nlohmann::ordered_json list = nlohmann::ordered_json::parse(raw, nullptr, false);
        if (list.is_array()) {
            return list;
        }
        break;
    }
    case ColumnKind::json: {
        // PostgreSQL's own output of a jsonb: an object stays an object. Only
        // bytes that are not UTF-8 (a SQL_ASCII database) make it a string.
        nlohmann::ordered_json v = nlohmann::ordered_json::parse(raw, nullptr, false);
        if (!v.is_discarded()) {
            return v;
        }
        break;
    }
    case ColumnKind::text:
        break;
    }
    return raw;
}

class JsonArrayWriter : public RecordWriter {
public:
    JsonArrayWriter(const ColumnSet &set, std::ostream &out) : set_(set), out_(out) {}

    void begin(const std::vector<RecordRow> &first_rows) override {
        out_ << '[';
        for (const RecordRow &row : first_rows) {
            write(row);
        }
    }

    void write(const RecordRow &row) override {
        out_ << (empty_ ? "\n" : ",\n") << json_text(record_to_json(set_.columns, row));
        empty_ = false;
    }

    void finish() override { out_ << (empty_ ? "]\n" : "\n]\n"); }

private:
    const ColumnSet &set_;
    std::ostream &out_;
    bool empty_ = true;
};

class JsonLinesWriter : public RecordWriter {
public:
    JsonLinesWriter(const ColumnSet &set, std::ostream &out) : set_(set), out_(out) {}

    void begin(const std::vector<RecordRow> &first_rows) override {
        for (const RecordRow &row : first_rows) {
            write(row);
        }
    }

    void write(const RecordRow &row) override {
        out_ << json_text(record_to_json(set_.columns, row)) << '\n';
    }

    void finish() override {}

private:
    const ColumnSet &set_;
    std::ostream &out_;
};

}  // namespace

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

std::unique_ptr<RecordWriter> make_json_writer(const ColumnSet &set, std::ostream &out,
                                               bool streaming) {
    if (streaming) {
        return std::make_unique<JsonLinesWriter>(set, out);
    }
    return std::make_unique<JsonArrayWriter>(set, out);
}

}  // namespace trace_ctl
