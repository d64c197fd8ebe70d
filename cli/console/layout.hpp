// The frame every console page shares: the document, its navigation, the
// style sheet and the optional live-refresh script (both served by the
// console itself: the Content-Security-Policy allows nothing inline and
// nothing from elsewhere), and error pages.

#ifndef TRACE_CTL_CONSOLE_LAYOUT_HPP
#define TRACE_CTL_CONSOLE_LAYOUT_HPP

#include <string>
#include <utility>
#include <vector>

namespace trace_ctl {

// Sent with every answer, errors included.
std::vector<std::pair<std::string, std::string>> security_headers();

struct PageContent {
    std::string title;  // plain text we wrote; escaped here
    std::string body;  // HTML
    // The page shows the newest rows (no anchor): console.js may refresh it.
    bool live = false;
};

std::string render_page(const PageContent &page);

// A page that says what went wrong, in one line (escaped here).
std::string render_error(int status, const std::string &message);

// The static files, at /console.css and /console.js.
const std::string &console_css();
const std::string &console_js();

}  // namespace trace_ctl

#endif
