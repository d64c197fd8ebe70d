#include "console/svg_chart.hpp"

#include "console/html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trace_ctl {

namespace {

constexpr double width = 600;
constexpr double height = 170;
constexpr double left = 44;  // room for the axis' labels
constexpr double bottom = 18;
constexpr double top = 6;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string open_svg(const std::string &title) {
    return "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(width) +
           " " + num(height) + "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
}

// The value axis (0 and the maximum) and the first and last bucket's labels.
std::string axes(double max, const std::vector<ChartBucket> &buckets, const std::string &unit) {
    std::string out = "<line x1=\"" + num(left) + "\" y1=\"" + num(height - bottom) + "\" x2=\"" +
                      num(width) + "\" y2=\"" + num(height - bottom) + "\" stroke=\"#bbb\"/>";
    out += "<text x=\"" + num(left - 4) + "\" y=\"" + num(top + 8) + "\" text-anchor=\"end\">" +
           html_escape(short_number(max) + unit) + "</text>";
    out += "<text x=\"" + num(left - 4) + "\" y=\"" + num(height - bottom) +
           "\" text-anchor=\"end\">0</text>";
    if (!buckets.empty()) {
        out += "<text x=\"" + num(left) + "\" y=\"" + num(height - 4) + "\">" +
               html_escape(buckets.front().label) + "</text>";
        out += "<text x=\"" + num(width) + "\" y=\"" + num(height - 4) +
               "\" text-anchor=\"end\">" + html_escape(buckets.back().label) + "</text>";
    }
    return out;
}

std::string linked(const std::string &href, const std::string &shape) {
    return href.empty() ? shape : "<a href=\"" + html_escape(href) + "\">" + shape + "</a>";
}

std::string title(const ChartBucket &b, const ChartSeries &s, double v, const std::string &unit) {
    return "<title>" + html_escape(b.label + " " + s.name + ": " + short_number(v) + unit) +
           "</title>";
}

}  // namespace

std::string short_number(double v) {
    char buf[32];
    double a = std::fabs(v);
    if (a >= 1e9) {
        std::snprintf(buf, sizeof buf, "%.1fG", v / 1e9);
    } else if (a >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
    } else if (a >= 1e4) {
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    } else if (a == std::floor(a)) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.3g", v);
    }
    return buf;
}

std::string stacked_bar_chart(const std::vector<ChartSeries> &series,
                              const std::vector<ChartBucket> &buckets, const std::string &unit) {
    double max = 0;
    for (const ChartBucket &b : buckets) {
        double sum = 0;
        for (double v : b.values) {
            sum += v;
        }
        max = std::max(max, sum);
    }
    std::string out = open_svg("stacked bars") + axes(max, buckets, unit);
    double plot = height - bottom - top;
    double slot = buckets.empty() ? 0 : (width - left) / static_cast<double>(buckets.size());
    for (size_t i = 0; i < buckets.size(); ++i) {
        const ChartBucket &b = buckets[i];
        double y = height - bottom;
        for (size_t s = 0; s < series.size() && s < b.values.size(); ++s) {
            if (b.values[s] <= 0 || max <= 0) {
                continue;
            }
            double h = std::max(0.5, b.values[s] / max * plot);
            y -= h;
            std::string rect = "<rect class=\"" + series[s].css_class + "\" x=\"" +
                               num(left + slot * static_cast<double>(i) + slot * 0.1) + "\" y=\"" + num(y) +
                               "\" width=\"" + num(std::max(0.5, slot * 0.8)) + "\" height=\"" +
                               num(h) + "\">" + title(b, series[s], b.values[s], unit) + "</rect>";
            out += linked(s < b.hrefs.size() ? b.hrefs[s] : "", rect);
        }
    }
    return out + "</svg>";
}

std::string line_chart(const std::vector<ChartSeries> &series,
                       const std::vector<ChartBucket> &buckets, const std::string &unit) {
    double max = 0;
    for (const ChartBucket &b : buckets) {
        for (double v : b.values) {
            max = std::max(max, v);
        }
    }
    std::string out = open_svg("lines") + axes(max, buckets, unit);
    double plot = height - bottom - top;
    double slot = buckets.empty() ? 0 : (width - left) / static_cast<double>(buckets.size());
    for (size_t s = 0; s < series.size(); ++s) {
        std::string points;
        std::string dots;
        for (size_t i = 0; i < buckets.size(); ++i) {
            const ChartBucket &b = buckets[i];
            if (s >= b.values.size() || b.values[s] < 0) {
                continue;  // no request in the bucket: no point
            }
            double x = left + slot * (static_cast<double>(i) + 0.5);
            double y = height - bottom - (max > 0 ? b.values[s] / max * plot : 0);
            points += num(x) + "," + num(y) + " ";
            dots += linked(s < b.hrefs.size() ? b.hrefs[s] : "",
                           "<circle class=\"" + series[s].css_class + "\" cx=\"" + num(x) +
                               "\" cy=\"" + num(y) + "\" r=\"2.5\">" +
                               title(b, series[s], b.values[s], unit) + "</circle>");
        }
        out += "<polyline class=\"" + series[s].css_class + "\" points=\"" + points + "\"/>" + dots;
    }
    return out + "</svg>";
}

std::string chart_legend(const std::vector<ChartSeries> &series) {
    std::string out = "<div class=\"legend\">";
    for (const ChartSeries &s : series) {
        out += "<span><i class=\"" + s.css_class + "\"></i>" + html_escape(s.name) + "</span>";
    }
    return out + "</div>";
}

}  // namespace trace_ctl
