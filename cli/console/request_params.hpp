// The query parameters of /requests and /audit: trace-ctl's options under
// their own names (user, status, since, max_id, ...), read into the CLI's
// option structs, so that the console filters exactly as the commands do
// (records/list_options.hpp). A parameter the page does not know, or one
// given twice, is an error rather than silently ignored; a session token is
// never accepted (a token in a URL lands in logs): sessions go by their hash.

#ifndef TRACE_CTL_CONSOLE_REQUEST_PARAMS_HPP
#define TRACE_CTL_CONSOLE_REQUEST_PARAMS_HPP

#include "records/audit.hpp"
#include "records/list_options.hpp"

#include <map>
#include <stdexcept>
#include <string>

namespace trace_ctl {

// Query parameters as the HTTP server decoded them (httplib::Params).
using ParamMap = std::multimap<std::string, std::string>;

// What the page answers with: HTML, or a download of the same rows.
enum class PageFormat { html, csv, json };

// An answer of 400 and its reason, in one line.
class BadRequest : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Rows on one HTML page at most; downloads take the CLI's limit.
inline constexpr int html_limit_max = 1000;

struct RequestsQuery {
    ListOptions list;
    PageFormat format = PageFormat::html;
};
struct AuditQuery {
    AuditOptions audit;
    PageFormat format = PageFormat::html;
};

// A NUL byte in any value is refused: no option of the CLI can hold one, and
// libpq would cut the value there. Throws BadRequest.
void check_no_nul(const ParamMap &params);

// Throw BadRequest.
RequestsQuery requests_query(const ParamMap &params);
AuditQuery audit_query(const ParamMap &params);

}  // namespace trace_ctl

#endif
