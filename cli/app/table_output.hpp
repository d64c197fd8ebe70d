// Aligned text columns for people: values made safe for a terminal, measured in
// terminal cells, cut with an ellipsis where they do not fit.

#ifndef TRACE_CTL_APP_TABLE_OUTPUT_HPP
#define TRACE_CTL_APP_TABLE_OUTPUT_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

// The width text output fits into: --width when given (0: no limit), else
// $COLUMNS, else the terminal's width, else 100 (a pipe or a file).
std::size_t choose_output_width(std::optional<int> option, const char *columns_env,
                                std::optional<int> terminal_columns);

// The same, asking the terminal behind stdout.
std::size_t output_width(std::optional<int> option);

// Decodes the UTF-8 character at `pos` into `out`; returns its length, or 0
// when the bytes there are not valid UTF-8 (overlong forms, surrogates and
// values above U+10FFFF included; NUL is valid here).
std::size_t decode_utf8(std::string_view s, std::size_t pos, char32_t &out);

// A value as a terminal may show it: control characters (ESC, CR, ...), C1
// controls, bidirectional overrides, zero-width characters and bytes that are not
// UTF-8 become visible escapes (\x1b, \n, \u202e), and a backslash becomes \\,
// so that a recorded path can neither move the cursor nor pass for another.
std::string terminal_safe(std::string_view raw);

// Cells the value takes on a terminal once made safe (East Asian wide characters
// take two, combining marks none).
std::size_t display_width(std::string_view raw);

// The safe value cut to at most `width` cells, ending in "…" when cut. Cuts fall
// between characters (and never inside an escape), never inside a UTF-8 sequence.
std::string fit_to_width(std::string_view raw, std::size_t width);

struct TextColumn {
    std::string header;
    bool align_right = false;
    std::size_t min_width = 1;  // shrinking stops here
    std::size_t max_width = 0;  // 0: as wide as the widest value
    int shrink_order = 0;  // 1 shrinks first when the line is too long; 0 never
    std::size_t stream_width = 0;  // at least this wide when rows keep coming (--follow)
    bool cut_without_ellipsis = false;  // for hashes, whose prefix is still a valid value
};

// Each column as wide as its widest value (or header), capped at max_width.
std::vector<std::size_t> natural_widths(const std::vector<TextColumn> &columns,
                                        const std::vector<std::vector<std::string>> &rows);

// When the line would exceed total_width (0: no limit), the shrinkable columns
// give up cells, in shrink_order, down to their min_width.
void shrink_to_fit(const std::vector<TextColumn> &columns, std::vector<std::size_t> &widths,
                   std::size_t total_width);

// The line's width once the columns that shrink first (shrink_order 1) are
// down to their min_width and every other column is as natural_widths (or,
// when `streaming`, at least its stream_width) makes it: whether a column
// that can be spared fits without cutting the others.
std::size_t least_line_width(const std::vector<TextColumn> &columns,
                             const std::vector<std::vector<std::string>> &rows, bool streaming);

// natural_widths, then shrink_to_fit.
std::vector<std::size_t> fit_columns(const std::vector<TextColumn> &columns,
                                     const std::vector<std::vector<std::string>> &rows,
                                     std::size_t total_width);

// A width that never cuts nor pads.
inline constexpr std::size_t unlimited_width = static_cast<std::size_t>(-1);

// Widths for rows not seen yet: at least each column's stream_width, and the
// room left on the line goes to the last column of those that shrink first
// (which is unlimited_width when total_width is 0).
std::vector<std::size_t> fit_columns_for_stream(const std::vector<TextColumn> &columns,
                                                const std::vector<std::vector<std::string>> &rows,
                                                std::size_t total_width);

// One line: cells padded to their widths, two spaces apart, no trailing blanks.
std::string render_line(const std::vector<TextColumn> &columns,
                        const std::vector<std::size_t> &widths,
                        const std::vector<std::string> &cells);

}  // namespace trace_ctl

#endif
