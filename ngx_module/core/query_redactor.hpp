// Redacting secrets from query strings before they are stored: the value of
// every parameter whose name matches one of the configured patterns becomes
// "[REDACTED]". Names are compared after percent-decoding and case-folding, so
// that "Pass%77ord" is caught as well as "password".

#ifndef TRACE_CORE_QUERY_REDACTOR_HPP
#define TRACE_CORE_QUERY_REDACTOR_HPP

#include "trace_core.h"

#include <string>
#include <string_view>
#include <vector>

namespace trace {

class QueryRedactor {
public:
    // Patterns are parameter names, case-insensitive, where '*' matches any run
    // of characters: "password", "*token*", "api_key".
    explicit QueryRedactor(std::vector<std::string> patterns);

    // The query string (without '?') with secret values replaced.
    std::string redact(std::string_view query) const;

    // Appends the redacted query to out; returns false when nothing was secret
    // (then out holds the query unchanged).
    bool redact_into(std::string &out, std::string_view query) const;

    bool matches(std::string_view decoded_lower_name) const;

    static constexpr std::string_view replacement = "[REDACTED]";

private:
    std::vector<std::string> patterns_;
};

// The object behind the C API's handle.
const QueryRedactor *as_redactor(const trace_redactor_t *redactor);

// The names redacted when trace_redact is not set.
const std::vector<std::string> &default_redacted_names();

// Percent-decodes and lower-cases a parameter name ('+' is a space).
std::string decode_name(std::string_view raw);

// Glob match with '*' only.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace trace

#endif
