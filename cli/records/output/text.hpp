// Records as an aligned text table for people: the listing's text fields
// (columns.hpp), cells made safe for a terminal and fitted to the line width
// (app/table_output.hpp).

#ifndef TRACE_CTL_RECORDS_OUTPUT_TEXT_HPP
#define TRACE_CTL_RECORDS_OUTPUT_TEXT_HPP

#include "records/columns.hpp"
#include "records/output/writer.hpp"

#include <cstddef>
#include <iosfwd>
#include <memory>

namespace trace_ctl {

// A header line, then one line per record. A field that hides when uniform
// (HOST) is left out when every first row has the same value, unless
// `streaming`: rows of another host may come.
std::unique_ptr<RecordWriter> make_text_writer(const ColumnSet &set, std::ostream &out,
                                               bool streaming, std::size_t width);

}  // namespace trace_ctl

#endif
