#include "path_regex.hpp"

#include "errbuf.hpp"
#include "guard.hpp"
#include "trace_core.h"

namespace trace {

PathRegex::PathRegex(std::string_view pattern) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                          &error_code, &error_offset, nullptr);
    if (code_ == nullptr) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error_code, message, sizeof(message));
        throw RegexError(std::string(reinterpret_cast<char *>(message)) + " at offset " +
                         std::to_string(error_offset));
    }
    // pcre2_match() runs the JIT code when there is some (a failure here only
    // means the interpreter runs instead).
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
    match_data_ = pcre2_match_data_create(1, nullptr);
    match_context_ = pcre2_match_context_create(nullptr);
    if (match_data_ == nullptr || match_context_ == nullptr) {
        pcre2_match_data_free(match_data_);
        pcre2_code_free(code_);
        throw RegexError("out of memory");
    }
    // A client chooses the subject: bound the work a pathological pattern can
    // take on an 8 KB path. Past the limit the path counts as not matching,
    // so the request is recorded rather than lost.
    pcre2_set_match_limit(match_context_, match_limit);
    pcre2_set_depth_limit(match_context_, match_limit);
}

PathRegex::~PathRegex() {
    pcre2_match_context_free(match_context_);
    pcre2_match_data_free(match_data_);
    pcre2_code_free(code_);
}

bool PathRegex::matches(std::string_view subject) const {
    // Not pcre2_jit_match(): it skips the check of the subject that a pattern
    // in UTF mode ("(*UTF)..." in a directive) needs, and a client's invalid
    // UTF-8 would then be undefined behaviour. pcre2_match() checks, then runs
    // the JIT code; an invalid subject is an error, which counts as no match.
    auto *data = reinterpret_cast<PCRE2_SPTR>(subject.data());
    int rc = pcre2_match(code_, data, subject.size(), 0, 0, match_data_, match_context_);
    return rc >= 0;
}

}  // namespace trace

// --- C API ---------------------------------------------------------------------

struct trace_regex_s {
    trace::PathRegex regex;
    explicit trace_regex_s(std::string_view p) : regex(p) {}
};

extern "C" trace_regex_t *trace_regex_compile(const unsigned char *pattern, size_t len, char *err,
                                              size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, nullptr, [&] {
        return new trace_regex_s(std::string_view(reinterpret_cast<const char *>(pattern), len));
    });
}

extern "C" int trace_regex_match(const trace_regex_t *re, const unsigned char *subject,
                                 size_t len) {
    static const unsigned char empty = 0;
    if (subject == nullptr) {
        subject = &empty;
        len = 0;
    }
    return trace::guarded(trace::NoReport{}, 0, [&] {
        return re->regex.matches(std::string_view(reinterpret_cast<const char *>(subject), len))
                   ? 1
                   : 0;
    });
}

extern "C" void trace_regex_free(trace_regex_t *re) {
    trace::guarded(trace::NoReport{}, [&] { delete re; });
}
