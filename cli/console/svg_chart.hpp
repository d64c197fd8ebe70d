// Charts drawn on the server as SVG, so that the overview needs no script and
// nothing from another site: stacked bars (one per time bucket, a segment per
// series) and lines with points. Every segment and point is a link to the
// rows it counts, and has a <title> that says what it is. Colours come from
// the style sheet (a class per series): the CSP allows no inline style.

#ifndef TRACE_CTL_CONSOLE_SVG_CHART_HPP
#define TRACE_CTL_CONSOLE_SVG_CHART_HPP

#include <string>
#include <vector>

namespace trace_ctl {

struct ChartSeries {
    std::string name;  // for titles and the legend
    std::string css_class;  // "s2", "p95", ...
};

struct ChartBucket {
    std::string label;  // "12:00"
    std::vector<double> values;  // one per series
    std::vector<std::string> hrefs;  // one per series; "" for no link
};

// `unit` follows every value in titles and the axis ("", " ms", " B").
std::string stacked_bar_chart(const std::vector<ChartSeries> &series,
                              const std::vector<ChartBucket> &buckets, const std::string &unit);
std::string line_chart(const std::vector<ChartSeries> &series,
                       const std::vector<ChartBucket> &buckets, const std::string &unit);

// The series' names with their colours.
std::string chart_legend(const std::vector<ChartSeries> &series);

// 1234567 as "1.2M", 0.25 as "0.25".
std::string short_number(double v);

}  // namespace trace_ctl

#endif
