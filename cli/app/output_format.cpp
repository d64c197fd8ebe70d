#include "app/output_format.hpp"

#include "app/usage_error.hpp"
#include "common/hex.hpp"

namespace trace_ctl {

OutputFormat parse_output_format(const std::string &name) {
    if (name == "text") {
        return OutputFormat::text;
    }
    if (name == "json") {
        return OutputFormat::json;
    }
    if (name == "csv") {
        return OutputFormat::csv;
    }
    throw UsageError("--format: \"" + name + "\" is not one of text, json, csv");
}

std::string json_text(const nlohmann::ordered_json &value) {
    std::string dumped = value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    // The dump is UTF-8 (the handler saw to it), so 0xC2 always starts a
    // character here: C2 80 to C2 9F are the C1 controls. They, and DEL, can
    // only be inside strings, where \u00XX is the same character.
    std::string out;
    out.reserve(dumped.size());
    for (std::size_t i = 0; i < dumped.size(); ++i) {
        auto b = static_cast<unsigned char>(dumped[i]);
        auto next = i + 1 < dumped.size() ? static_cast<unsigned char>(dumped[i + 1]) : 0;
        if (b == 0x7F || (b == 0xC2 && next >= 0x80 && next <= 0x9F)) {
            unsigned code = b == 0x7F ? b : next;
            char escape[6] = {'\\', 'u', '0', '0', trace::hex_digits[code >> 4],
                              trace::hex_digits[code & 0xF]};
            out.append(escape, 6);
            i += b == 0x7F ? 0 : 1;
        } else {
            out += dumped[i];
        }
    }
    return out;
}

}  // namespace trace_ctl
