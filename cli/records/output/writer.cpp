#include "records/output/writer.hpp"

#include "records/output/csv.hpp"
#include "records/output/json.hpp"
#include "records/output/text.hpp"

namespace trace_ctl {

std::unique_ptr<RecordWriter> make_record_writer(OutputFormat format, const ColumnSet &set,
                                                 std::ostream &out, bool streaming,
                                                 std::size_t width) {
    switch (format) {
    case OutputFormat::json:
        return make_json_writer(set, out, streaming);
    case OutputFormat::csv:
        return make_csv_writer(set, out);
    case OutputFormat::text:
        break;
    }
    return make_text_writer(set, out, streaming, width);
}

}  // namespace trace_ctl
