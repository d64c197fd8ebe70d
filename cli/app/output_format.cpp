#include "app/output_format.hpp"

#include "app/usage_error.hpp"

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
    return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace trace_ctl
