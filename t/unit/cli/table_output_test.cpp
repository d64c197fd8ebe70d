#include "app/table_output.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

TEST(TerminalSafe, ControlCharactersBecomeVisible) {
    EXPECT_EQ(terminal_safe("\x1b[2J\x1b]0;owned\x07"), "\\x1b[2J\\x1b]0;owned\\x07");
    EXPECT_EQ(terminal_safe("a\tb\nc\rd"), "a\\tb\\nc\\rd");
    EXPECT_EQ(terminal_safe(std::string("nul\0x", 5)), "nul\\x00x");
    EXPECT_EQ(terminal_safe("del\x7f"), "del\\x7f");
    EXPECT_EQ(terminal_safe("back\\slash"), "back\\\\slash");
}

TEST(TerminalSafe, UnicodeThatMovesOrHidesTextIsEscaped) {
    EXPECT_EQ(terminal_safe("\xc2\x9b"
                            "31m"),
              "\\u009b31m");  // C1 CSI
    EXPECT_EQ(terminal_safe("/admin\xe2\x80\xae"
                            "gpj.exe"),
              "/admin\\u202egpj.exe");
    EXPECT_EQ(terminal_safe("zero\xe2\x80\x8bwidth"), "zero\\u200bwidth");
}

TEST(TerminalSafe, BytesThatAreNotUtf8AreEscapedOneByOne) {
    EXPECT_EQ(terminal_safe("a\xff"
                            "b"),
              "a\\xffb");
    EXPECT_EQ(terminal_safe("\xc0\xaf"), "\\xc0\\xaf");  // overlong '/'
    EXPECT_EQ(terminal_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
    EXPECT_EQ(terminal_safe("cut\xe2\x82"), "cut\\xe2\\x82");  // truncated sequence
}

TEST(TerminalSafe, OrdinaryTextIsKept) {
    EXPECT_EQ(terminal_safe("/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80"),
              "/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80");
}

TEST(DisplayWidth, CountsTerminalCells) {
    EXPECT_EQ(display_width("abc"), 3u);
    EXPECT_EQ(display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4u);  // 日本: wide
    EXPECT_EQ(display_width("e\xcc\x81"), 1u);  // e + combining acute
    EXPECT_EQ(display_width("\x1b"), 4u);  // shown as \x1b
}

TEST(FitToWidth, CutsWithAnEllipsis) {
    EXPECT_EQ(fit_to_width("hello", 10), "hello");
    EXPECT_EQ(fit_to_width("hello", 5), "hello");
    EXPECT_EQ(fit_to_width("hello world", 5), "hell\xe2\x80\xa6");
    EXPECT_EQ(fit_to_width("hello", 1), "\xe2\x80\xa6");
    EXPECT_EQ(fit_to_width("hello", 0), "");
}

TEST(FitToWidth, NeverSplitsACharacterOrAnEscape) {
    // é is two bytes: the cut falls between characters, the result is UTF-8.
    EXPECT_EQ(fit_to_width("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
    // 日本語: two cells each; 4 cells hold one and the ellipsis.
    EXPECT_EQ(fit_to_width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4), "\xe6\x97\xa5\xe2\x80\xa6");
    // \x1b takes four cells; with three there is no room for it, nor for half of it.
    EXPECT_EQ(fit_to_width("\x1bX", 3), "\xe2\x80\xa6");
    EXPECT_EQ(fit_to_width("ab\x1b", 5), "ab\xe2\x80\xa6");
    EXPECT_EQ(display_width(fit_to_width(std::string(10000, '/'), 40)), 40u);
}

TEST(OutputWidth, OptionThenColumnsThenTerminalThenHundred) {
    EXPECT_EQ(choose_output_width(0, "80", 120), 0u);
    EXPECT_EQ(choose_output_width(90, "80", 120), 90u);
    EXPECT_EQ(choose_output_width(std::nullopt, "80", 120), 80u);
    EXPECT_EQ(choose_output_width(std::nullopt, "eighty", 120), 120u);
    EXPECT_EQ(choose_output_width(std::nullopt, nullptr, 120), 120u);
    EXPECT_EQ(choose_output_width(std::nullopt, nullptr, std::nullopt), 100u);
}

namespace {

std::vector<TextColumn> three_columns() {
    return {{"TIME", false, 4, 4, 0, 0}, {"USER", false, 3, 10, 2, 6}, {"PATH", false, 5, 0, 1, 0}};
}

}  // namespace

TEST(FitColumns, NaturalWidthsCappedAtMaximum) {
    auto widths = fit_columns(three_columns(), {{"12:00", "averyveryverylongname", "/a"}}, 0);
    EXPECT_EQ(widths, (std::vector<size_t>{4, 10, 4}));
}

TEST(FitColumns, ShrinkInOrderDownToMinimum) {
    std::vector<std::vector<std::string>> rows = {{"1234", "abcdefghij", std::string(30, 'p')}};
    // natural: 4 + 10 + 30 + 2 * 2 = 48
    EXPECT_EQ(fit_columns(three_columns(), rows, 48), (std::vector<size_t>{4, 10, 30}));
    EXPECT_EQ(fit_columns(three_columns(), rows, 40), (std::vector<size_t>{4, 10, 22}));
    EXPECT_EQ(fit_columns(three_columns(), rows, 20), (std::vector<size_t>{4, 7, 5}));
    // nothing left to give: the line stays too long rather than losing columns
    EXPECT_EQ(fit_columns(three_columns(), rows, 5), (std::vector<size_t>{4, 3, 5}));
}

TEST(FitColumns, ColumnsOfOneOrderShrinkAlike) {
    std::vector<TextColumn> columns = {{"A", false, 2, 0, 1, 0}, {"B", false, 2, 0, 1, 0}};
    auto widths = fit_columns(columns, {{std::string(20, 'a'), std::string(10, 'b')}}, 22);
    EXPECT_EQ(widths, (std::vector<size_t>{10, 10}));
}

TEST(FitColumns, StreamingLeavesRoomForRowsToCome) {
    auto widths = fit_columns_for_stream(three_columns(), {}, 40);
    // USER at its stream width, PATH takes what the line has left
    EXPECT_EQ(widths, (std::vector<size_t>{4, 6, 26}));
    // a narrow line: the column that takes the rest keeps at least its minimum
    EXPECT_EQ(fit_columns_for_stream(three_columns(), {}, 14), (std::vector<size_t>{4, 3, 5}));
    auto unlimited = fit_columns_for_stream(three_columns(), {}, 0);
    EXPECT_EQ(unlimited[2], unlimited_width);
    EXPECT_EQ(render_line(three_columns(), unlimited, {"t", "u", std::string(500, 'p')}).size(),
              4 + 2 + 6 + 2 + 500u);
}

TEST(FitColumns, StreamingGivesTheRestToTheLastColumnThatShrinksFirst) {
    std::vector<TextColumn> columns = {
        {"USER", false, 3, 10, 2, 6}, {"AGENT", false, 5, 30, 1, 12}, {"PATH", false, 5, 0, 1, 0}};
    EXPECT_EQ(fit_columns_for_stream(columns, {}, 40), (std::vector<size_t>{6, 12, 18}));
    EXPECT_EQ(fit_columns_for_stream(columns, {}, 0)[2], unlimited_width);
}

TEST(FitColumns, LeastLineWidthHasTheFirstToShrinkAtTheirMinimum) {
    std::vector<std::vector<std::string>> rows = {{"1234", "abcdefghij", std::string(30, 'p')}};
    // 4 + 10 + 5 (PATH at its minimum) + 2 * 2
    EXPECT_EQ(least_line_width(three_columns(), rows, false), 23u);
    // no rows, following: USER at its stream width (6), PATH as wide as its header (4)
    EXPECT_EQ(least_line_width(three_columns(), {}, true), 4 + 6 + 4 + 4u);
}

TEST(RenderLine, PadsAlignsAndTrims) {
    std::vector<TextColumn> columns = {
        {"N", true, 1, 0, 0, 0}, {"NAME", false, 1, 0, 0, 0}, {"X", false, 1, 0, 0, 0}};
    EXPECT_EQ(render_line(columns, {3, 6, 4}, {"7", "bob", ""}), "  7  bob");
    // 日 takes two cells: four more pad it to six, then the two between columns
    EXPECT_EQ(render_line(columns, {3, 6, 4}, {"7", "\xe6\x97\xa5", "x"}),
              "  7  \xe6\x97\xa5      x");
    // three cells cannot hold \x1b (four) and the rest: only the ellipsis is left
    EXPECT_EQ(render_line(columns, {3, 3, 4}, {"7", "\x1b[2J", "x"}), "  7  \xe2\x80\xa6    x");
}

TEST(RenderLine, HashesAreCutWithoutEllipsis) {
    std::vector<TextColumn> columns = {{"SESSION", false, 8, 12, 2, 12, true}};
    EXPECT_EQ(render_line(columns, {8}, {"0123456789ab"}), "01234567");
}
