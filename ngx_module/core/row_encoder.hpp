// Turning what nginx saw into rows of COPY text: requests for trace.requests,
// events for trace.audit.

#ifndef TRACE_CORE_ROW_ENCODER_HPP
#define TRACE_CORE_ROW_ENCODER_HPP

#include "query_redactor.hpp"
#include "trace_core.h"

#include <string>
#include <string_view>

namespace trace {

// The column lists the rows are encoded for, in order (trace_contract.h).
inline constexpr const char *request_columns = TRACE_REQUEST_COLUMNS;
inline constexpr const char *audit_columns = TRACE_AUDIT_COLUMNS;

// Indexed text columns are cut at this many input bytes, so that even a value
// made of escaped bytes (four characters each, \xHH) stays under what a btree
// index entry can hold (2,704 bytes).
inline constexpr std::size_t indexed_text_limit = 512;

// The target of a request nginx rejected (trace_request_t.malformed) is cut
// at this many bytes: what a probe tried shows in far less, and an 8 KB line
// that nginx refused as too long would otherwise be stored whole, every time.
inline constexpr std::size_t rejected_target_limit = 2048;

class RowEncoder {
public:
    RowEncoder(std::string host, std::string session_key);

    // Each appends one row, ending in '\n'. Its `escaped` column names the text
    // columns stored escaped (copy_text.hpp).
    void append_request(std::string &out, const trace_request_t &req) const;
    void append_audit(std::string &out, const trace_audit_t &event) const;

private:
    bool append_user(std::string &out, const trace_str_t &user) const;
    void append_session(std::string &out, const trace_str_t &token, const char *hash) const;

    std::string host_field_;      // already encoded
    bool host_escaped_ = false;
    std::string session_key_;
    QueryRedactor default_redactor_;
};

// Appends `text` as an inet field: NULL unless it is an IPv4 or IPv6 address.
void append_copy_inet(std::string &out, std::string_view text);

inline std::string_view view(const trace_str_t &s) {
    return {reinterpret_cast<const char *>(s.data), s.data ? s.len : 0};
}

}  // namespace trace

#endif
