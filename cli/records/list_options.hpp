// The options that requests and audit share, as the command line gave them,
// and what they ask for: a filter, and the width of text lines.

#ifndef TRACE_CTL_RECORDS_LIST_OPTIONS_HPP
#define TRACE_CTL_RECORDS_LIST_OPTIONS_HPP

#include "app/config.hpp"
#include "records/filters.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trace_ctl {

// The options as the command line gave them; empty strings are unset.
struct ListOptions {
    std::string user;
    std::string session;
    std::string session_token;  // "-": read it from stdin
    std::string session_key_file;  // default: session_key_file of the config
    std::string status;
    std::string method;
    std::string path;
    std::string host;
    std::string client;
    std::string since;
    std::string until;
    // requests only
    std::string referer;
    std::string user_agent;
    std::string upstream_status;
    std::vector<std::string> fields;  // each NAME=VALUE
    int limit = 50;
    int page = 1;
    std::int64_t max_id = 0;  // 0: the newest id when the command starts
    std::string max_time;  // with max_id: the newest time at that moment
    bool follow = false;
    double interval_seconds = 1.0;
    std::string format = "text";
    int width = -1;  // -1: the terminal's (see output_width)
    bool explain = false;
};

// Checks and parses every option (and hashes --session-token with the module's
// key). Throws UsageError.
RecordFilter filter_from_options(const ListOptions &opts, const Config &config);

// The width text output fits into: --width, else the terminal's (output_width).
std::size_t text_width(const ListOptions &opts);

}  // namespace trace_ctl

#endif
