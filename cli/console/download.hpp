// format=csv and format=json: the rows of a listing page streamed as trace-ctl
// writes them (records/output/), read through a cursor a batch at a time, so
// that a page of 100,000 rows is never held whole in memory, here or in libpq.
//
// CSV is also guarded against formula injection: a spreadsheet runs a cell
// that starts with = + - or @ as a formula, so a text value starting with one
// of them gets a leading apostrophe ('=cmd|...), which spreadsheets show as
// text. The CLI's CSV, written for programs, has no such mark.

#ifndef TRACE_CTL_CONSOLE_DOWNLOAD_HPP
#define TRACE_CTL_CONSOLE_DOWNLOAD_HPP

#include "console/database.hpp"
#include "console/request_params.hpp"
#include "records/columns.hpp"
#include "records/output/writer.hpp"
#include "records/page_query.hpp"

#include <memory>
#include <sstream>
#include <string>

namespace trace_ctl {

// A text value as the console's CSV writes it (the guard above).
std::optional<std::string> formula_safe(const std::optional<std::string> &value);

class RowStream {
public:
    // Opens the cursor and reads the first batch, so that an error (a bad
    // value, a statement timeout) still becomes an error page. Throws PgError.
    RowStream(std::unique_ptr<ConnectionPool::Lease> lease, const ColumnSet &set,
              PageFormat format, const Page &statement);
    ~RowStream();
    RowStream(const RowStream &) = delete;
    RowStream &operator=(const RowStream &) = delete;

    // The next part of the body into `chunk`; false once everything was given.
    // Throws PgError.
    bool next(std::string &chunk);

    static const char *content_type(PageFormat format);

private:
    Result fetch();
    void write_batch(const Result &batch);

    std::unique_ptr<ConnectionPool::Lease> lease_;
    const ColumnSet &set_;
    PageFormat format_;
    std::ostringstream buffer_;
    std::unique_ptr<RecordWriter> writer_;
    bool done_ = false;
    bool in_transaction_ = false;
};

}  // namespace trace_ctl

#endif
