// The COPY text encoder on any bytes a client can send. Invariants:
// - the field is valid COPY text: no raw tab, newline or CR, only the escapes
//   \\ \t \n \r, and never the NULL marker "\N";
// - it decodes to valid UTF-8 without NUL (what PostgreSQL accepts);
// - it decodes to exactly what the reference model of the scheme says
//   (fuzz_support.hpp, stored_reference), and says it escaped the value
//   exactly when the model does: a value whose kept characters PostgreSQL can
//   hold reads back unchanged, any other has its backslashes doubled and its
//   other bytes as \xHH;
// - an escaped value decodes (\\ a backslash, \xHH a byte) back to the bytes
//   kept; an exact one is those bytes;
// - with a length limit, the whole characters within it, then "…".

#include "copy_text.hpp"
#include "fuzz_support.hpp"

#include <fuzzer/FuzzedDataProvider.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider provider(data, size);
    bool limited = provider.ConsumeBool();
    std::size_t limit = limited ? provider.ConsumeIntegralInRange<std::size_t>(0, 64) : SIZE_MAX;
    std::string input = provider.ConsumeRemainingBytesAsString();

    std::string prefix = "x\t";  // appending must keep what was there
    std::string out = prefix;
    bool escaped = trace::append_copy_text(out, input, limit);
    FUZZ_CHECK(out.compare(0, prefix.size(), prefix) == 0);
    std::string field = out.substr(prefix.size());

    FUZZ_CHECK(field != "\\N");
    std::optional<std::string> decoded = fuzz::copy_decode_field(field);
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(fuzz::is_valid_utf8(*decoded));

    fuzz::Stored expected = fuzz::stored_reference(input, limit);
    FUZZ_CHECK(*decoded == expected.text);
    FUZZ_CHECK(escaped == expected.escaped);

    // What the stored text stands for: the bytes kept, then the cut's "…".
    bool cut = input.size() > limit;
    std::string stands_for = *decoded;
    if (escaped) {
        std::optional<std::string> bytes = fuzz::unescape_stored(*decoded);
        FUZZ_CHECK(bytes.has_value());
        stands_for = *bytes;
    }
    if (cut) {
        FUZZ_CHECK(stands_for.size() >= 3 &&
                   stands_for.compare(stands_for.size() - 3, 3, "\xE2\x80\xA6") == 0);
        std::string kept = stands_for.substr(0, stands_for.size() - 3);
        FUZZ_CHECK(kept.size() <= limit && input.compare(0, kept.size(), kept) == 0);
        // only a character that straddles the cut is left out
        FUZZ_CHECK(limit - kept.size() < 4);
    } else {
        FUZZ_CHECK(stands_for == input);
    }
    if (!cut && fuzz::is_valid_utf8(input)) {
        FUZZ_CHECK(*decoded == input && !escaped);
    }
    FUZZ_CHECK(trace::valid_utf8_prefix(input) <= input.size());
    FUZZ_CHECK((trace::valid_utf8_prefix(input) == input.size()) == fuzz::is_valid_utf8(input));
    return 0;
}
