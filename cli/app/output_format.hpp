// What --format asks for (text for people, json or csv for programs), and JSON
// text as every command prints it.

#ifndef TRACE_CTL_APP_OUTPUT_FORMAT_HPP
#define TRACE_CTL_APP_OUTPUT_FORMAT_HPP

#include <nlohmann/json.hpp>

#include <string>

namespace trace_ctl {

enum class OutputFormat { text, json, csv };

// "text", "json" or "csv"; throws UsageError for anything else.
OutputFormat parse_output_format(const std::string &name);

// Compact JSON on one line. Bytes that are not UTF-8 become U+FFFD instead of
// making the encoder throw: one odd value must not cost the whole output.
// Every control character, C0 (JSON's own rule), DEL and C1, is written as
// \u00XX, so that no string drives a terminal and each still reads back
// exactly.
std::string json_text(const nlohmann::ordered_json &value);

}  // namespace trace_ctl

#endif
