#include "console/layout.hpp"

#include "console/html.hpp"
#include "trace_version.h"

namespace trace_ctl {

std::vector<std::pair<std::string, std::string>> security_headers() {
    return {
        // Scripts and styles only from the console's own files, no inline
        // ones, no framing, no form posting elsewhere.
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
         "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"X-Frame-Options", "DENY"},
    };
}

std::string render_page(const PageContent &page) {
    std::string nav;
    for (const auto &[href, label] :
         std::vector<std::pair<std::string, std::string>>{{"/", "Overview"},
                                                          {"/requests", "Requests"},
                                                          {"/audit", "Audit"},
                                                          {"/audit?summary=1", "Users"},
                                                          {"/status", "Status"}}) {
        nav += "<a href=\"" + href + "\">" + label + "</a>";
    }
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<title>" + html_escape(page.title) + " \xE2\x80\x93 trace</title>"
           "<link rel=\"stylesheet\" href=\"/console.css\">"
           "<script src=\"/console.js\" defer></script></head><body>"
           "<header><span class=\"brand\">nginx-trace</span><nav>" + nav + "</nav></header>"
           "<main id=\"main\"" + std::string(page.live ? " data-live=\"1\"" : "") + ">"
           "<h1>" + html_escape(page.title) + "</h1>" + page.body + "</main>"
           "<footer>trace-ctl " TRACE_VERSION " \xE2\x80\x93 read-only</footer></body></html>\n";
}

std::string render_error(int status, const std::string &message) {
    PageContent page;
    page.title = status == 400 ? "Bad request" : status == 404 ? "Not found" : "Error";
    page.body = "<p class=\"error\">" + shown(message) + "</p>";
    return render_page(page);
}

const std::string &console_css() {
    static const std::string css = R"(body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:.5em 1em;display:flex;gap:2em;align-items:center}
header a{color:#cfd8dc;margin-right:1.2em;text-decoration:none}header a:hover{color:#fff}
.brand{font-weight:bold}main{padding:0 1em 1em}footer{color:#888;padding:1em;font-size:12px}
h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e0e0e0;padding:2px 8px;text-align:left;vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;word-break:break-all;max-width:40em}td.num,th.num{text-align:right}
form.filters{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0 1em;align-items:end}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}
form.filters input{width:9em}.pager{margin:.8em 0}.pager a{margin-right:1em}
.error{color:#b71c1c;font-weight:bold}.dim{color:#888}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1em}
.panel{background:#fff;border:1px solid #e0e0e0;padding:.5em}
svg.chart{width:100%;height:auto}svg.chart text{font-size:10px;fill:#555}
.s1{fill:#90a4ae}.s2{fill:#66bb6a}.s3{fill:#42a5f5}.s4{fill:#ffa726}.s5{fill:#ef5350}
.login{fill:#66bb6a}.logout{fill:#42a5f5}.login_failed{fill:#ef5350}.bytes{fill:#7e57c2}
.p50{stroke:#66bb6a}.p95{stroke:#ffa726}.p99{stroke:#ef5350}
polyline{fill:none;stroke-width:1.5}circle.p50{fill:#66bb6a}circle.p95{fill:#ffa726}circle.p99{fill:#ef5350}
.legend span{display:inline-block;margin-right:1em;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px}
i.s1{background:#90a4ae}i.s2{background:#66bb6a}i.s3{background:#42a5f5}i.s4{background:#ffa726}i.s5{background:#ef5350}
i.login{background:#66bb6a}i.logout{background:#42a5f5}i.login_failed{background:#ef5350}
i.p50{background:#66bb6a}i.p95{background:#ffa726}i.p99{background:#ef5350}
)";
    return css;
}

// Pages that show the newest rows are fetched again every few seconds and
// their <main> replaced; without JavaScript they are plain pages.
const std::string &console_js() {
    static const std::string js = R"('use strict';
(function () {
  var main = document.getElementById('main');
  if (!main || main.getAttribute('data-live') !== '1') { return; }
  function refresh() {
    fetch(window.location.href, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null) { return; }
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.getElementById('main');
        var active = document.activeElement;
        if (fresh && !(active && active.form)) { main.replaceChildren.apply(main, Array.from(fresh.childNodes)); }
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 5000);
})();
)";
    return js;
}

}  // namespace trace_ctl
