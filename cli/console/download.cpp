#include "console/download.hpp"

namespace trace_ctl {

namespace {

constexpr int batch_rows = 500;

}  // namespace

std::optional<std::string> formula_safe(const std::optional<std::string> &value) {
    if (value && !value->empty() && std::string("=+-@").find((*value)[0]) != std::string::npos) {
        return "'" + *value;
    }
    return value;
}

const char *RowStream::content_type(PageFormat format) {
    return format == PageFormat::csv ? "text/csv; charset=utf-8" : "application/json";
}

RowStream::RowStream(std::unique_ptr<ConnectionPool::Lease> lease, const ColumnSet &set,
                     PageFormat format, const Page &statement)
    : lease_(std::move(lease)), set_(set), format_(format) {
    Connection &db = **lease_;
    db.exec("BEGIN READ ONLY");
    in_transaction_ = true;
    db.exec_params("DECLARE console_rows NO SCROLL CURSOR FOR " + statement.sql,
                   statement.params);
    Result first = fetch();
    writer_ = make_record_writer(format == PageFormat::csv ? OutputFormat::csv : OutputFormat::json,
                                 set_, buffer_, false, 0);
    writer_->begin({});
    write_batch(first);
}

RowStream::~RowStream() {
    if (in_transaction_) {
        // The reader went away mid-way: the connection goes back clean.
        PQclear(PQexec((**lease_).raw(), "ROLLBACK"));
    }
}

Result RowStream::fetch() {
    return (**lease_).exec("FETCH " + std::to_string(batch_rows) + " FROM console_rows");
}

void RowStream::write_batch(const Result &batch) {
    for (int i = 0; i < batch.rows(); ++i) {
        RecordRow row = row_at(batch, i);
        if (format_ == PageFormat::csv) {
            for (size_t c = 0; c < row.size() && c < set_.columns.size(); ++c) {
                if (set_.columns[c].kind == ColumnKind::text) {
                    row[c] = formula_safe(row[c]);
                }
            }
        }
        writer_->write(row);
    }
    if (batch.rows() < batch_rows) {
        writer_->finish();
        (**lease_).exec("COMMIT");
        in_transaction_ = false;
        done_ = true;
    }
}

bool RowStream::next(std::string &chunk) {
    if (buffer_.tellp() == 0 && done_) {
        return false;
    }
    if (buffer_.tellp() == 0) {
        write_batch(fetch());
    }
    chunk = buffer_.str();
    buffer_.str("");
    buffer_.clear();
    return !chunk.empty() || !done_;
}

}  // namespace trace_ctl
