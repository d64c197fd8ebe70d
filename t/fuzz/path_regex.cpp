// trace_exclude and trace_audit_event patterns (an operator's) matched against
// paths (a client's). Invariants:
// - compiling any pattern returns or throws RegexError, nothing else;
// - matches() says what PCRE2's interpreter says for the same pattern and
//   subject, with every check it makes (UTF validity included), unless one of
//   them gave up at the match limit (then "no match" is all we ask);
// - a literal pattern (\Q...\E) matches exactly when the path contains it.

#include "fuzz_support.hpp"
#include "path_regex.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <memory>

namespace {

bool gave_up(int rc) {
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY ||
           rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

// What pcre2_match() says, with every check it makes, on the pattern compiled
// with or without JIT: 1 match, 0 no match, -1 gave up (a limit).
int reference_matches(std::string_view pattern, std::string_view subject, bool jit) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> code(
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                      &error_code, &error_offset, nullptr),
        pcre2_code_free);
    FUZZ_CHECK(code != nullptr);  // PathRegex compiled it
    if (jit) {
        pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);
    }
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
        pcre2_match_data_create(1, nullptr), pcre2_match_data_free);
    std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> ctx(
        pcre2_match_context_create(nullptr), pcre2_match_context_free);
    pcre2_set_match_limit(ctx.get(), trace::PathRegex::match_limit);
    pcre2_set_depth_limit(ctx.get(), trace::PathRegex::match_limit);
    int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                         0, 0, md.get(), ctx.get());
    return gave_up(rc) ? -1 : rc >= 0 ? 1 : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider p(data, size);
    bool literal = p.ConsumeBool();
    std::string text = p.ConsumeRandomLengthString(64);
    std::string subject = p.ConsumeRemainingBytesAsString();
    std::string pattern = literal ? "\\Q" + text + "\\E" : text;
    if (literal && text.find("\\E") != std::string::npos) {
        return 0;
    }

    std::unique_ptr<trace::PathRegex> re;
    try {
        re = std::make_unique<trace::PathRegex>(pattern);
    } catch (const trace::RegexError &) {
        FUZZ_CHECK(!literal);
        return 0;
    }
    bool got = re->matches(subject);
    int interpreter = reference_matches(pattern, subject, false);
    if (got) {
        FUZZ_CHECK(interpreter != 0);  // never a match that is not one
    } else if (interpreter == 1) {
        // JIT counts its steps differently: it may give up where the
        // interpreter did not, and then "no match" is what we ask for.
        FUZZ_CHECK(reference_matches(pattern, subject, true) == -1);
    }
    if (literal) {
        FUZZ_CHECK(got == (subject.find(text) != std::string::npos));
    }
    FUZZ_CHECK(re->matches(subject) == got);  // no state carried between matches
    return 0;
}
