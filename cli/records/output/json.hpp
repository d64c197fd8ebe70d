// Records as JSON (nlohmann-json): an object per record whose keys keep the
// columns' order, each value typed by its column's kind.

#ifndef TRACE_CTL_RECORDS_OUTPUT_JSON_HPP
#define TRACE_CTL_RECORDS_OUTPUT_JSON_HPP

#include "records/columns.hpp"
#include "records/output/writer.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <memory>
#include <vector>

namespace trace_ctl {

// One record as an object; NULL is null, times are RFC 3339 UTC, and a value
// that does not read as its kind stays a string rather than vanishing.
nlohmann::ordered_json record_to_json(const std::vector<RecordColumn> &columns,
                                      const RecordRow &row);

// An array with one object per line; when `streaming`, one object per line
// and no array (JSON lines), since the end never comes.
std::unique_ptr<RecordWriter> make_json_writer(const ColumnSet &set, std::ostream &out,
                                               bool streaming);

}  // namespace trace_ctl

#endif
