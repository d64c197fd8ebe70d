// check-resources --textfile DIR: the measurements for node_exporter's
// textfile collector, in the Prometheus text exposition format, as
// DIR/nginx_trace_resources.prom. The collector reads every *.prom file of
// its directory; the name carries the metrics' prefix so that it clashes with
// no other producer's file, and the file is replaced atomically so that the
// collector never reads half of it.

#ifndef TRACE_CTL_ALERTS_TEXTFILE_HPP
#define TRACE_CTL_ALERTS_TEXTFILE_HPP

#include "alerts/resources.hpp"
#include "alerts/trend.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

inline constexpr const char *textfile_name = "nginx_trace_resources.prom";

class TextfileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A label value as the exposition format writes it between double quotes:
// backslash, double quote and line feed escaped (\\, \", \n); bytes that are
// not UTF-8 become U+FFFD, as the format is UTF-8.
std::string prometheus_label_value(std::string_view value);

// The whole file: HELP and TYPE lines, then the samples of each metric:
//   nginx_trace_resource_used_ratio{resource="space",path="/var"} 0.42
// for every measurement (resource memory, swap, space, inodes; path for the
// last two), the thresholds, whether each is over, whether it could be
// measured, the trend's forecast where there is one, and the time of the check.
std::string prometheus_text(const std::vector<Measurement> &measurements,
                            const std::vector<TrendCheck> &trends, std::int64_t checked_at);

// Writes `text` as DIR/nginx_trace_resources.prom: a temporary file in DIR
// (a name the collector ignores), mode 0644, fsync, rename. Returns the path
// written. Throws TextfileError naming the file and the reason.
std::string write_textfile(const std::string &dir, const std::string &text);

}  // namespace trace_ctl

#endif
