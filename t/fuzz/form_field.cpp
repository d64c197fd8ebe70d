// $trace_form_NAME: a field of an application/x-www-form-urlencoded body, on
// any body a client can send and any NAME a configuration can hold.
// Invariants:
// - the result is the first pair whose decoded name equals NAME (ASCII case
//   folded), its value percent-decoded with '+' a space; "name" without '='
//   is an empty value; nothing when no pair matches;
// - the C API, given an output buffer of the body's length (what the shim
//   allocates), never writes past it, and agrees.

#include "form_fields.hpp"
#include "fuzz_support.hpp"
#include "trace_core.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <memory>

namespace {

std::optional<std::string> reference_field(std::string_view body, std::string_view name) {
    std::string wanted = fuzz::ascii_lower(name);
    std::size_t start = 0;
    for (;;) {
        std::size_t end = std::min(body.find('&', start), body.size());
        std::string_view pair = body.substr(start, end - start);
        std::size_t eq = std::min(pair.find('='), pair.size());
        std::string_view key = pair.substr(0, eq);
        if (!key.empty() && fuzz::ascii_lower(fuzz::percent_decode(key, true)) == wanted) {
            return eq == pair.size() ? std::string()
                                     : fuzz::percent_decode(pair.substr(eq + 1), true);
        }
        if (end == body.size()) {
            return std::nullopt;
        }
        start = end + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider provider(data, size);
    std::string name = provider.ConsumeRandomLengthString(32);
    std::string body = provider.ConsumeRemainingBytesAsString();

    std::optional<std::string> got = trace::form_field(body, name);
    std::optional<std::string> expected = reference_field(body, name);
    FUZZ_CHECK(got == expected);

    std::unique_ptr<unsigned char[]> out(new unsigned char[body.size()]);
    std::size_t out_len = SIZE_MAX;
    int found = trace_form_field(reinterpret_cast<const unsigned char *>(body.data()),
                                 body.size(), reinterpret_cast<const unsigned char *>(name.data()),
                                 name.size(), out.get(), &out_len);
    FUZZ_CHECK(found == (expected ? 1 : 0));
    if (found) {
        FUZZ_CHECK(out_len == expected->size());
        FUZZ_CHECK(std::memcmp(out.get(), expected->data(), out_len) == 0);
    }
    return 0;
}
