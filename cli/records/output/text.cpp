#include "records/output/text.hpp"

#include "app/table_output.hpp"
#include "records/escaping.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace trace_ctl {

namespace {

class TextWriter : public RecordWriter {
public:
    TextWriter(const ColumnSet &set, std::ostream &out, bool streaming, std::size_t width)
        : set_(set), out_(out), streaming_(streaming), width_(width) {}

    void begin(const std::vector<RecordRow> &first_rows) override {
        for (const TextField &f : set_.text) {
            if (!(f.hide_when_uniform && all_alike(f, first_rows))) {
                fields_.push_back(&f);
                columns_.push_back(f.column);
            }
        }
        std::vector<std::vector<std::string>> cells;
        for (const RecordRow &row : first_rows) {
            cells.push_back(cells_of(row));
        }
        if (width_ > 0 && least_line_width(columns_, cells, streaming_) > width_) {
            leave_out_spared_fields(cells);
        }
        widths_ = streaming_ ? fit_columns_for_stream(columns_, cells, width_)
                             : fit_columns(columns_, cells, width_);
        std::vector<std::string> headers;
        for (const TextColumn &c : columns_) {
            headers.push_back(c.header);
        }
        out_ << render_line(columns_, widths_, headers) << '\n';
        for (const auto &row_cells : cells) {
            out_ << render_line(columns_, widths_, row_cells) << '\n';
        }
    }

    void write(const RecordRow &row) override {
        out_ << render_line(columns_, widths_, cells_of(row)) << '\n';
    }

    void finish() override {}

private:
    // Cells show the bytes a value stands for; render_line makes them visible.
    std::vector<std::string> cells_of(const RecordRow &row) const {
        RecordRow bytes = decoded_row(set_.columns, row);
        std::vector<std::string> cells;
        for (const TextField *f : fields_) {
            cells.push_back(f->cell(bytes));
        }
        return cells;
    }

    void leave_out_spared_fields(std::vector<std::vector<std::string>> &cells) {
        for (std::size_t i = fields_.size(); i-- > 0;) {
            if (fields_[i]->hide_when_narrow) {
                fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(i));
                columns_.erase(columns_.begin() + static_cast<std::ptrdiff_t>(i));
                for (auto &row_cells : cells) {
                    row_cells.erase(row_cells.begin() + static_cast<std::ptrdiff_t>(i));
                }
            }
        }
    }

    // Only rows already seen can tell; with none, or while following (a row of
    // another host may come), the column stays.
    bool all_alike(const TextField &f, const std::vector<RecordRow> &rows) const {
        if (rows.empty() || streaming_) {
            return false;
        }
        std::string first = f.cell(decoded_row(set_.columns, rows.front()));
        for (const RecordRow &row : rows) {
            if (f.cell(decoded_row(set_.columns, row)) != first) {
                return false;
            }
        }
        return true;
    }

    const ColumnSet &set_;
    std::ostream &out_;
    bool streaming_;
    std::size_t width_;
    std::vector<const TextField *> fields_;
    std::vector<TextColumn> columns_;
    std::vector<std::size_t> widths_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_text_writer(const ColumnSet &set, std::ostream &out,
                                               bool streaming, std::size_t width) {
    return std::make_unique<TextWriter>(set, out, streaming, width);
}

}  // namespace trace_ctl
