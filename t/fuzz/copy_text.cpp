// The COPY text encoder on any bytes a client can send. Invariants:
// - the field is valid COPY text: no raw tab, newline or CR, only the escapes
//   \\ \t \n \r, and never the NULL marker "\N";
// - it decodes to valid UTF-8 without NUL (what PostgreSQL accepts);
// - it decodes to exactly what a reference model says: the input's valid
//   characters as they are, every other byte as the four characters \xHH;
//   so input that is valid UTF-8 without NUL reads back unchanged;
// - with a length limit, the whole characters within it, then "…".

#include "copy_text.hpp"
#include "fuzz_support.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <vector>

namespace {

// The model: (end offset in the input, decoded text) per input character.
struct Piece {
    std::size_t end;
    std::string text;
};

std::vector<Piece> model(std::string_view in) {
    std::vector<Piece> pieces;
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t n = fuzz::utf8_char_length(in.substr(i));
        if (n == 0) {
            char hex[5];
            std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(in[i]));
            pieces.push_back({i + 1, hex});
            i += 1;
        } else {
            pieces.push_back({i + n, std::string(in.substr(i, n))});
            i += n;
        }
    }
    return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider provider(data, size);
    bool limited = provider.ConsumeBool();
    std::size_t limit = limited ? provider.ConsumeIntegralInRange<std::size_t>(0, 64) : SIZE_MAX;
    std::string input = provider.ConsumeRemainingBytesAsString();

    std::string prefix = "x\t";  // appending must keep what was there
    std::string out = prefix;
    trace::append_copy_text(out, input, limit);
    FUZZ_CHECK(out.compare(0, prefix.size(), prefix) == 0);
    std::string field = out.substr(prefix.size());

    FUZZ_CHECK(field != "\\N");
    std::optional<std::string> decoded = fuzz::copy_decode_field(field);
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(fuzz::is_valid_utf8(*decoded));

    std::string expected;
    bool cut = input.size() > limit;
    for (const Piece &p : model(input)) {
        if (cut && p.end > limit) {
            break;
        }
        expected += p.text;
    }
    if (cut) {
        expected += "\xE2\x80\xA6";
    }
    FUZZ_CHECK(*decoded == expected);
    if (!cut && fuzz::is_valid_utf8(input)) {
        FUZZ_CHECK(*decoded == input);
    }
    FUZZ_CHECK(trace::valid_utf8_prefix(input) <= input.size());
    FUZZ_CHECK((trace::valid_utf8_prefix(input) == input.size()) == fuzz::is_valid_utf8(input));
    return 0;
}
