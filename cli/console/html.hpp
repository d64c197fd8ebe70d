// Client values written into HTML. Every value the console shows came from a
// client (a path, a user agent, a user name), so each is escaped for the
// context it lands in: text and attribute values made visible as the CLI's
// text output shows them (terminal_safe: control characters, bidi overrides,
// zero-width characters and bytes that are not UTF-8 become \x1b, \u202e, ...)
// and then HTML-escaped; URL parts percent-encoded byte by byte.

#ifndef TRACE_CTL_CONSOLE_HTML_HPP
#define TRACE_CTL_CONSOLE_HTML_HPP

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trace_ctl {

// & < > " ' as character references; nothing else changes. For text we wrote
// ourselves, or that is already visible.
std::string html_escape(std::string_view text);

// A client's bytes in HTML text or a quoted attribute: visible, then escaped.
std::string shown(std::string_view bytes);

// Every byte but A-Z a-z 0-9 - . _ ~ as %HH: a query value or a path segment.
std::string url_encode(std::string_view bytes);

// A query string, "?a=1&b=x%20y" ("" for none); empty values are left out.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::string query_string(const QueryParams &params);

// <a href="HREF">TEXT</a>: `href` is a URL we built (url_encode'd parts), and
// `text` is a client's bytes.
std::string html_link(const std::string &href, std::string_view text);

// A regular expression that matches exactly `text` (PostgreSQL's ARE):
// ^...$ with every character that has a meaning escaped, for links to the
// list filtered by one path.
std::string exact_regex(std::string_view text);

}  // namespace trace_ctl

#endif
