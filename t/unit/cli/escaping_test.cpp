#include "records/escaping.hpp"
#include "records/output/csv.hpp"
#include "records/output/json.hpp"

#include "app/output_format.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

const std::vector<RecordColumn> columns = {
    {"id", "id", ColumnKind::integer},
    {"user_agent", "user_agent", ColumnKind::text},
    {"path", "path", ColumnKind::text},
    {"escaped", "to_json(escaped)", ColumnKind::names},
};

std::string bytes(const char *s, std::size_t n) { return std::string(s, n); }

}  // namespace

TEST(StoredBytes, DecodesOnlyWhatTheSchemeWrites) {
    EXPECT_EQ(stored_bytes("a\\xffb\\\\xff", true), "a\xff"
                                                   "b\\xff");
    EXPECT_EQ(stored_bytes("\\x00\\x7F", true), bytes("\0\x7f", 2));
    EXPECT_EQ(stored_bytes("\\xg1 \\x1 \\", true), "\\xg1 \\x1 \\");  // left as it is
    EXPECT_EQ(stored_bytes("a\\xffb", false), "a\\xffb");  // not escaped: exact
}

TEST(StoredForm, ExactUnlessPostgresqlCannotHoldIt) {
    std::string out;
    EXPECT_FALSE(stored_form("j\xc3\xbcrgen \\xff", out));
    EXPECT_EQ(out, "j\xc3\xbcrgen \\xff");
    EXPECT_TRUE(stored_form("\xff\\", out));
    EXPECT_EQ(out, "\\xff\\\\");
    EXPECT_TRUE(stored_form(bytes("a\0b", 3), out));
    EXPECT_EQ(out, "a\\x00b");
    EXPECT_EQ(stored_bytes(out, true), bytes("a\0b", 3));
}

TEST(EscapeForTerminal, ControlsAndInvalidBytesBecomeHex) {
    EXPECT_FALSE(could_drive_terminal("caf\xc3\xa9 <script>\"'\\ \xe2\x80\xae"));
    for (const std::string &s : {std::string("\x1b[2J"), std::string("\a"), std::string("\t"),
                                 std::string("\r\n"), std::string("\x7f"),
                                 std::string("\xc2\x9b"), std::string("\xff"),
                                 std::string("\0", 1)}) {
        EXPECT_TRUE(could_drive_terminal(s)) << s;
    }
    EXPECT_EQ(escape_for_terminal("\x1b]0;owned\a \\x1b \xc2\x9b"
                                  "1m \xff\xc3\xa9"),
              "\\x1b]0;owned\\x07 \\\\x1b \\xc2\\x9b1m \\xff\xc3\xa9");
    EXPECT_EQ(escape_for_terminal("line\r\nnext\ttab"), "line\\x0d\\x0anext\\x09tab");
}

TEST(EscapeForTerminal, DecodesBackToTheBytes) {
    for (const std::string &s :
         {std::string("\\xff"), std::string("\xff"), std::string("a\\\\b\x1b\\"),
          std::string("\0\\x00", 5), std::string("\xc2\x9b\xe2\x80\xae\xed\xa0\x80")}) {
        EXPECT_EQ(stored_bytes(escape_for_terminal(s), true), s);
    }
}

TEST(EscapedColumns, NamedTextColumnsOnly) {
    RecordRow row = {"1", "a", "b", R"(["path","id","nope"])"};
    EXPECT_EQ(escaped_columns(columns, row), (std::vector<bool>{false, false, true, false}));
    EXPECT_EQ(escaped_columns(columns, {"1", "a", "b", std::nullopt}),
              (std::vector<bool>(4, false)));
    EXPECT_EQ(escaped_columns(columns, {"1", "a", "b", "{path}"}), (std::vector<bool>(4, false)));
}

TEST(DecodedRow, TheBytesEachValueStandsFor) {
    RecordRow forged = {"1", "\\xff", "/", std::nullopt};
    RecordRow real = {"2", "\\xff", "/", R"(["user_agent"])"};
    EXPECT_EQ(decoded_row(columns, forged)[1], "\\xff");
    EXPECT_EQ(decoded_row(columns, real)[1], "\xff");
}

// The two user agents of the issue: four characters, and one byte.
TEST(Csv, AForgedEscapeIsToldApartFromARealOne) {
    RecordRow forged = {"1", "\\xff", "/", std::nullopt};
    RecordRow real = {"2", "\\xff", "/", R"(["user_agent"])"};
    EXPECT_EQ(csv_record(columns, forged), "1,\\xff,/,\r\n");
    EXPECT_EQ(csv_record(columns, real), "2,\\xff,/,user_agent\r\n");
}

TEST(Csv, ControlsAreEscapedAndNamed) {
    RecordRow row = {"3", "Mozilla\r\nX: 1 \\", "/\x1b]0;owned\a\xc2\x9b", std::nullopt};
    EXPECT_EQ(csv_record(columns, row),
              "3,Mozilla\\x0d\\x0aX: 1 \\\\,/\\x1b]0;owned\\x07\\xc2\\x9b,user_agent path\r\n");
    // stored escaped, and a control too: decoded, then escaped again as a whole
    RecordRow both = {"4", "ok", "\\x00\x1b\\\\", R"(["path"])"};
    EXPECT_EQ(csv_record(columns, both), "4,ok,\\x00\\x1b\\\\,path\r\n");
    // stored escaped, but nothing left that needs it: exact, not named
    RecordRow needless = {"5", "ok", "a\\\\b", R"(["path"])"};
    EXPECT_EQ(csv_record(columns, needless), "5,ok,a\\b,\r\n");
}

TEST(Json, EscapedListIsAnArrayAndValuesAreAsStored) {
    RecordRow real = {"2", "\\xff", "/", R"(["user_agent"])"};
    EXPECT_EQ(json_text(record_to_json(columns, real)),
              R"({"id":2,"user_agent":"\\xff","path":"/","escaped":["user_agent"]})");
    RecordRow forged = {"1", "\\xff", "/", std::nullopt};
    EXPECT_EQ(json_text(record_to_json(columns, forged)),
              R"({"id":1,"user_agent":"\\xff","path":"/","escaped":null})");
}

TEST(Json, NoControlCharacterIsWrittenRaw) {
    EXPECT_EQ(json_text(nlohmann::ordered_json("\x1b\x7f\xc2\x9b\xc2\xa0\xc3\x80")),
              "\"\\u001b\\u007f\\u009b\xc2\xa0\xc3\x80\"");
    EXPECT_EQ(nlohmann::json::parse(json_text(nlohmann::ordered_json("a\xc2\x85z\x7f"))),
              "a\xc2\x85z\x7f");
}
