// Writes records in the format asked for: an aligned text table for people,
// a JSON array (or JSON lines when following) or CSV for programs.

#ifndef TRACE_CTL_RECORDS_RECORD_WRITER_HPP
#define TRACE_CTL_RECORDS_RECORD_WRITER_HPP

#include "records/record_sets.hpp"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace trace_ctl {

enum class OutputFormat { text, json, csv };

// "text", "json" or "csv"; throws UsageError for anything else.
OutputFormat parse_output_format(const std::string &name);

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
std::unique_ptr<RecordWriter> make_record_writer(OutputFormat format, const RecordSet &set,
                                                 std::ostream &out, bool streaming,
                                                 std::size_t width);

}  // namespace trace_ctl

#endif
