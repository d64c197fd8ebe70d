// PCRE2 patterns compiled once, at configuration time, with JIT where the
// library has it. Matching is for the nginx worker's own thread only: each
// pattern owns its match data.

#ifndef TRACE_CORE_PATH_REGEX_HPP
#define TRACE_CORE_PATH_REGEX_HPP

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trace {

class RegexError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PathRegex {
public:
    explicit PathRegex(std::string_view pattern);  // throws RegexError
    ~PathRegex();
    PathRegex(const PathRegex &) = delete;
    PathRegex &operator=(const PathRegex &) = delete;

    // Whether the pattern matches anywhere in subject. Any bytes are fine:
    // unless the pattern asks for UTF mode ("(*UTF)"), no UTF-8 check is made;
    // in UTF mode, a subject that is not valid UTF-8 does not match.
    bool matches(std::string_view subject) const;

    static constexpr uint32_t match_limit = 100000;

private:
    pcre2_code *code_ = nullptr;
    pcre2_match_context *match_context_ = nullptr;
    pcre2_match_data *match_data_ = nullptr;
};

}  // namespace trace

#endif
