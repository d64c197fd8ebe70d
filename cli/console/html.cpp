#include "console/html.hpp"

#include "app/table_output.hpp"

#include <cstring>

namespace trace_ctl {

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string shown(std::string_view bytes) {
    return html_escape(terminal_safe(bytes));
}

std::string url_encode(std::string_view bytes) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : bytes) {
        auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

std::string query_string(const QueryParams &params) {
    std::string out;
    for (const auto &[name, value] : params) {
        if (value.empty()) {
            continue;
        }
        out += (out.empty() ? "?" : "&") + url_encode(name) + "=" + url_encode(value);
    }
    return out;
}

std::string html_link(const std::string &href, std::string_view text) {
    return "<a href=\"" + html_escape(href) + "\">" + shown(text) + "</a>";
}

std::string exact_regex(std::string_view text) {
    std::string out = "^";
    for (char c : text) {
        if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr && c != '\0') {
            out += '\\';
        }
        out += c;
    }
    return out + "$";
}

}  // namespace trace_ctl
