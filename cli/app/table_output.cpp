#include "app/table_output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace trace_ctl {

namespace {

constexpr std::size_t width_when_unknown = 100;
const char *const ellipsis = "\xE2\x80\xA6";  // U+2026, one cell

// One thing a terminal shows: a character, or the escape standing for one.
struct Glyph {
    std::string text;
    std::size_t cells = 1;
};

bool in(char32_t c, char32_t low, char32_t high) {
    return c >= low && c <= high;
}

// Characters that change how a terminal lays out text without showing
// anything: bidi controls (Trojan Source), zero-width ones.
bool is_invisible_format(char32_t c) {
    return c == 0x061C || in(c, 0x200B, 0x200F) || in(c, 0x202A, 0x202E) || in(c, 0x2060, 0x2069) ||
           c == 0xFEFF;
}

bool is_combining(char32_t c) {
    return in(c, 0x0300, 0x036F) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) ||
           in(c, 0x20D0, 0x20FF) || in(c, 0xFE20, 0xFE2F);
}

bool is_wide(char32_t c) {
    return in(c, 0x1100, 0x115F) || in(c, 0x2E80, 0x303E) || in(c, 0x3041, 0x33FF) ||
           in(c, 0x3400, 0x4DBF) || in(c, 0x4E00, 0x9FFF) || in(c, 0xA000, 0xA4CF) ||
           in(c, 0xAC00, 0xD7A3) || in(c, 0xF900, 0xFAFF) || in(c, 0xFE30, 0xFE4F) ||
           in(c, 0xFF00, 0xFF60) || in(c, 0xFFE0, 0xFFE6) || in(c, 0x1F300, 0x1F64F) ||
           in(c, 0x1F900, 0x1F9FF) || in(c, 0x20000, 0x3FFFD);
}

std::string hex_escape(const char *format, unsigned value) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), format, value);
    return buf;
}

}  // namespace

std::size_t decode_utf8(std::string_view s, std::size_t pos, char32_t &out) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char b0 = byte(pos);
    std::size_t len = b0 < 0x80           ? 1
                      : (b0 >> 5) == 0x6  ? 2
                      : (b0 >> 4) == 0xE  ? 3
                      : (b0 >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || pos + len > s.size()) {
        return 0;
    }
    char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (std::size_t i = 1; i < len; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (byte(pos + i) & 0x3F);
    }
    static const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < smallest[len] || c > 0x10FFFF || in(c, 0xD800, 0xDFFF)) {
        return 0;
    }
    out = c;
    return len;
}

namespace {

std::vector<Glyph> to_glyphs(std::string_view raw) {
    std::vector<Glyph> glyphs;
    glyphs.reserve(raw.size());
    std::size_t pos = 0;
    while (pos < raw.size()) {
        char32_t c = 0;
        std::size_t len = decode_utf8(raw, pos, c);
        if (len == 0) {
            auto b = static_cast<unsigned char>(raw[pos]);
            glyphs.push_back({hex_escape("\\x%02x", b), 4});
            ++pos;
            continue;
        }
        Glyph g{std::string(raw.substr(pos, len)), 1};
        if (c == '\\') {
            g = {"\\\\", 2};
        } else if (c == '\t') {
            g = {"\\t", 2};
        } else if (c == '\n') {
            g = {"\\n", 2};
        } else if (c == '\r') {
            g = {"\\r", 2};
        } else if (c < 0x20 || c == 0x7F) {
            g = {hex_escape("\\x%02x", static_cast<unsigned>(c)), 4};
        } else if (in(c, 0x80, 0x9F) || is_invisible_format(c)) {
            g = {hex_escape("\\u%04x", static_cast<unsigned>(c)), 6};
        } else if (is_combining(c)) {
            g.cells = 0;
        } else if (is_wide(c)) {
            g.cells = 2;
        }
        glyphs.push_back(std::move(g));
        pos += len;
    }
    return glyphs;
}

std::size_t cells_of(const std::vector<Glyph> &glyphs) {
    std::size_t n = 0;
    for (const Glyph &g : glyphs) {
        n += g.cells;
    }
    return n;
}

// The safe text cut to `width` cells, and how many cells it takes.
struct Fitted {
    std::string text;
    std::size_t cells = 0;
};

Fitted fit(std::string_view raw, std::size_t width, bool with_ellipsis = true) {
    std::vector<Glyph> glyphs = to_glyphs(raw);
    Fitted out;
    bool cut = cells_of(glyphs) > width && with_ellipsis;
    std::size_t room = cut ? (width == 0 ? 0 : width - 1) : width;
    for (const Glyph &g : glyphs) {
        if (out.cells + g.cells > room) {
            break;
        }
        out.text += g.text;
        out.cells += g.cells;
    }
    if (cut && width > 0) {
        out.text += ellipsis;
        out.cells += 1;
    }
    return out;
}

}  // namespace

std::size_t choose_output_width(std::optional<int> option, const char *columns_env,
                                std::optional<int> terminal_columns) {
    if (option) {
        return *option > 0 ? static_cast<std::size_t>(*option) : 0;
    }
    if (columns_env != nullptr) {
        char *end = nullptr;
        long n = std::strtol(columns_env, &end, 10);
        if (end != columns_env && *end == '\0' && n > 0 && n < 100000) {
            return static_cast<std::size_t>(n);
        }
    }
    if (terminal_columns && *terminal_columns > 0) {
        return static_cast<std::size_t>(*terminal_columns);
    }
    return width_when_unknown;
}

std::size_t output_width(std::optional<int> option) {
    std::optional<int> terminal;
    struct winsize ws {};
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        terminal = ws.ws_col;
    }
    return choose_output_width(option, std::getenv("COLUMNS"), terminal);
}

std::string terminal_safe(std::string_view raw) {
    std::string out;
    for (const Glyph &g : to_glyphs(raw)) {
        out += g.text;
    }
    return out;
}

std::size_t display_width(std::string_view raw) {
    return cells_of(to_glyphs(raw));
}

std::string fit_to_width(std::string_view raw, std::size_t width) {
    return fit(raw, width).text;
}

std::vector<std::size_t> natural_widths(const std::vector<TextColumn> &columns,
                                        const std::vector<std::vector<std::string>> &rows) {
    std::vector<std::size_t> widths;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        std::size_t header = display_width(columns[i].header);
        std::size_t w = header;
        for (const auto &row : rows) {
            if (i < row.size()) {
                w = std::max(w, display_width(row[i]));
            }
        }
        if (columns[i].max_width > 0) {
            w = std::min(w, std::max(columns[i].max_width, header));
        }
        widths.push_back(w);
    }
    return widths;
}

namespace {

std::size_t line_width(const std::vector<std::size_t> &widths) {
    std::size_t line = widths.empty() ? 0 : 2 * (widths.size() - 1);
    for (std::size_t w : widths) {
        line += w;
    }
    return line;
}

}  // namespace

void shrink_to_fit(const std::vector<TextColumn> &columns, std::vector<std::size_t> &widths,
                   std::size_t total_width) {
    std::size_t line = line_width(widths);
    if (total_width == 0 || line <= total_width) {
        return;
    }
    int last_order = 0;
    for (const TextColumn &c : columns) {
        last_order = std::max(last_order, c.shrink_order);
    }
    // Within one shrink_order, the widest column gives up a cell at a time, so
    // that the columns of an order end up alike rather than one of them gutted.
    for (int order = 1; order <= last_order && line > total_width; ++order) {
        while (line > total_width) {
            std::size_t widest = columns.size();
            for (std::size_t i = 0; i < columns.size(); ++i) {
                if (columns[i].shrink_order == order && widths[i] > columns[i].min_width &&
                    (widest == columns.size() || widths[i] > widths[widest])) {
                    widest = i;
                }
            }
            if (widest == columns.size()) {
                break;
            }
            --widths[widest];
            --line;
        }
    }
}

std::size_t least_line_width(const std::vector<TextColumn> &columns,
                             const std::vector<std::vector<std::string>> &rows, bool streaming) {
    std::vector<std::size_t> widths = natural_widths(columns, rows);
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].shrink_order == 1) {
            widths[i] = std::min(widths[i], columns[i].min_width);
        } else if (streaming) {
            widths[i] = std::max(widths[i], columns[i].stream_width);
        }
    }
    return line_width(widths);
}

std::vector<std::size_t> fit_columns(const std::vector<TextColumn> &columns,
                                     const std::vector<std::vector<std::string>> &rows,
                                     std::size_t total_width) {
    std::vector<std::size_t> widths = natural_widths(columns, rows);
    shrink_to_fit(columns, widths, total_width);
    return widths;
}

std::vector<std::size_t> fit_columns_for_stream(const std::vector<TextColumn> &columns,
                                                const std::vector<std::vector<std::string>> &rows,
                                                std::size_t total_width) {
    std::vector<std::size_t> widths = natural_widths(columns, rows);
    for (std::size_t i = 0; i < columns.size(); ++i) {
        widths[i] = std::max(widths[i], columns[i].stream_width);
        if (columns[i].shrink_order == 1) {
            widths[i] = std::max(widths[i], columns[i].min_width);  // room for what comes
        }
    }
    shrink_to_fit(columns, widths, total_width);
    std::size_t line = line_width(widths);
    // The last of them: an unlimited column is not padded, so that only the
    // end of the line may be ragged.
    for (std::size_t i = columns.size(); i-- > 0;) {
        if (columns[i].shrink_order == 1) {
            if (total_width == 0) {
                widths[i] = unlimited_width;
            } else if (total_width > line) {
                widths[i] += total_width - line;
            }
            break;
        }
    }
    return widths;
}

std::string render_line(const std::vector<TextColumn> &columns,
                        const std::vector<std::size_t> &widths,
                        const std::vector<std::string> &cells) {
    std::string line;
    for (std::size_t i = 0; i < columns.size() && i < widths.size(); ++i) {
        std::string_view raw = i < cells.size() ? std::string_view(cells[i]) : "";
        Fitted cell;
        std::string pad;
        if (widths[i] == unlimited_width) {
            cell.text = terminal_safe(raw);
        } else {
            cell = fit(raw, widths[i], !columns[i].cut_without_ellipsis);
            pad.assign(widths[i] - std::min(widths[i], cell.cells), ' ');
        }
        if (i > 0) {
            line += "  ";
        }
        line += columns[i].align_right ? pad + cell.text : cell.text + pad;
    }
    while (!line.empty() && line.back() == ' ') {
        line.pop_back();
    }
    return line;
}

}  // namespace trace_ctl
