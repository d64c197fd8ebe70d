// Small grammars of the audit trail: urlencoded form fields and the audit
// header an application sends ("login alice"). Pure functions, fuzzed.

#ifndef TRACE_CORE_FORM_FIELDS_HPP
#define TRACE_CORE_FORM_FIELDS_HPP

#include <optional>
#include <string>
#include <string_view>

namespace trace {

// The first field `name` (compared after decoding, case-insensitively, as
// nginx's $arg_NAME does) of a urlencoded body, decoded; nullopt when none.
std::optional<std::string> form_field(std::string_view body, std::string_view name);

struct AuditHeader {
    const char *action;   // "login", "logout", "login_failed"
    std::string user;     // decoded; empty when the header names none
};

// "ACTION [USER]", surrounding blanks ignored; nullopt for anything else.
std::optional<AuditHeader> parse_audit_header(std::string_view value);

}  // namespace trace

#endif
