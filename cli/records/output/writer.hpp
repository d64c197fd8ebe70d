// Prints the records of a listing, as they come, in the format asked for: an
// aligned text table for people (text.hpp), a JSON array or JSON lines
// (json.hpp) or CSV (csv.hpp) for programs.

#ifndef TRACE_CTL_RECORDS_OUTPUT_WRITER_HPP
#define TRACE_CTL_RECORDS_OUTPUT_WRITER_HPP

#include "app/output_format.hpp"
#include "records/columns.hpp"

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <vector>

namespace trace_ctl {

class RecordWriter {
public:
    virtual ~RecordWriter() = default;
    // Prints the head (table header, "[", CSV header) and the rows known at the
    // start; in text, those rows also decide the column widths.
    virtual void begin(const std::vector<RecordRow> &first_rows) = 0;
    virtual void write(const RecordRow &row) = 0;
    virtual void finish() = 0;
};

// `streaming`: more rows follow begin() (--follow): JSON becomes one object per
// line instead of an array, and text columns leave room for values to come.
// `width` is the text line width (0: no limit).
std::unique_ptr<RecordWriter> make_record_writer(OutputFormat format, const ColumnSet &set,
                                                 std::ostream &out, bool streaming,
                                                 std::size_t width);

}  // namespace trace_ctl

#endif
