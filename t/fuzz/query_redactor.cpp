// Redaction of query strings, on any query a client can send and any list of
// names an operator can configure. Invariants:
// - a parameter whose name (percent-decoded, '+' a space, case-folded) matches
//   a pattern never keeps its value: it reads "name=[REDACTED]";
// - every other parameter, and the '&'s between them, are kept as they are;
// - redact() and redact_into() agree, and it says whether a value was redacted.
// The reference matcher is a plain dynamic-programming glob, not the
// backtracking one under test.

#include "fuzz_support.hpp"
#include "query_redactor.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <vector>

namespace {

bool reference_glob(std::string_view pattern, std::string_view text) {
    // match[j]: pattern[0, i) matches text[0, j), for the current i.
    std::vector<bool> match(text.size() + 1, false);
    match[0] = true;
    for (char p : pattern) {
        std::vector<bool> next(text.size() + 1, false);
        for (std::size_t j = 0; j <= text.size(); ++j) {
            if (p == '*') {
                next[j] = match[j] || (j > 0 && next[j - 1]);
            } else {
                next[j] = j > 0 && match[j - 1] && text[j - 1] == p;
            }
        }
        match = std::move(next);
    }
    return match[text.size()];
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = s.find(sep, start);
        if (end == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, end - start));
        start = end + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider provider(data, size);
    std::vector<std::string> patterns;
    if (provider.ConsumeBool()) {
        patterns = trace::default_redacted_names();
    } else {
        // Operator-configured names: short, so that '*' runs stay cheap.
        std::size_t n = provider.ConsumeIntegralInRange<std::size_t>(0, 4);
        for (std::size_t i = 0; i < n; ++i) {
            patterns.push_back(provider.ConsumeRandomLengthString(16));
        }
    }
    std::string query = provider.ConsumeRemainingBytesAsString();

    trace::QueryRedactor redactor(patterns);
    std::string redacted = redactor.redact(query);
    std::string appended = "keep";
    bool changed = redactor.redact_into(appended, query);
    FUZZ_CHECK(appended == "keep" + redacted);

    std::vector<std::string_view> in = split(query, '&');
    std::vector<std::string_view> out = split(redacted, '&');
    FUZZ_CHECK(in.size() == out.size());
    bool any_secret = false;
    for (std::size_t i = 0; i < in.size(); ++i) {
        std::size_t eq = in[i].find('=');
        bool secret = false;
        if (eq != std::string_view::npos && eq + 1 < in[i].size()) {
            std::string name = fuzz::ascii_lower(fuzz::percent_decode(in[i].substr(0, eq), true));
            for (const std::string &p : patterns) {
                secret = secret || reference_glob(fuzz::ascii_lower(p), name);
            }
        }
        any_secret = any_secret || secret;
        if (secret) {
            FUZZ_CHECK(out[i] == std::string(in[i].substr(0, eq + 1)) + "[REDACTED]");
        } else {
            FUZZ_CHECK(out[i] == in[i]);
        }
    }
    FUZZ_CHECK(changed == any_secret);
    return 0;
}
