#include "app/output_format.hpp"
#include "app/time_text.hpp"
#include "records/output/csv.hpp"
#include "records/output/json.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

const std::vector<RecordColumn> columns = {
    {"id", "id", ColumnKind::integer},
    {"ts", "ts", ColumnKind::time},
    {"path", "path", ColumnKind::text},
    {"duration", "duration", ColumnKind::seconds},
    {"signed_in", "signed_in", ColumnKind::boolean},
    {"user_name", "user_name", ColumnKind::text},
};

// 2024-05-01T12:00:00.000123Z
const RecordRow row = {"42", "1714564800000123", "/a \"b\",\nc", "0.012345", "t", std::nullopt};

}  // namespace

TEST(Json, EveryColumnTypedAndInOrder) {
    nlohmann::ordered_json j = record_to_json(columns, row);
    EXPECT_EQ(json_text(j), R"({"id":42,"ts":"2024-05-01T12:00:00.000123Z","path":"/a \"b\",\nc",)"
                            R"("duration":0.012345,"signed_in":true,"user_name":null})");
    EXPECT_TRUE(j["id"].is_number_integer());
    EXPECT_TRUE(j["duration"].is_number_float());
}

TEST(Json, BigIdsStayExact) {
    nlohmann::ordered_json j =
        record_to_json({{"id", "id", ColumnKind::integer}}, {std::string("9223372036854775807")});
    EXPECT_EQ(json_text(j), R"({"id":9223372036854775807})");
}

TEST(Json, AValueThatIsNotItsKindStaysText) {
    nlohmann::ordered_json j =
        record_to_json({{"status", "status", ColumnKind::integer}}, {std::string("not a number")});
    EXPECT_EQ(j["status"], "not a number");
}

TEST(Json, InvalidUtf8IsReplacedNotThrown) {
    nlohmann::ordered_json j =
        record_to_json({{"path", "path", ColumnKind::text}}, {std::string("/a\xff\xfe"
                                                                          "b")});
    std::string text;
    ASSERT_NO_THROW(text = json_text(j));
    EXPECT_EQ(text,
              "{\"path\":\"/a\xef\xbf\xbd\xef\xbf\xbd"
              "b\"}");
    // control characters are escaped by JSON itself
    EXPECT_EQ(json_text(nlohmann::ordered_json("\x1b[2J")), "\"\\u001b[2J\"");
}

TEST(Json, AJsonbColumnIsEmbedded) {
    const std::vector<RecordColumn> cols = {{"fields", "fields", ColumnKind::json}};
    nlohmann::ordered_json j =
        record_to_json(cols, {std::string(R"({"xff": "10.0.0.1", "country": "DE"})")});
    EXPECT_EQ(json_text(j), R"({"fields":{"xff":"10.0.0.1","country":"DE"}})");
    EXPECT_EQ(json_text(record_to_json(cols, {std::nullopt})), R"({"fields":null})");
    // what is not JSON (bytes that are not UTF-8, in a SQL_ASCII database) stays text
    j = record_to_json(cols, {std::string("{\"a\": \"\xff\"}")});
    EXPECT_TRUE(j["fields"].is_string());
    EXPECT_EQ(csv_record(cols, {std::string(R"({"a": "b,c"})")}), "\"{\"\"a\"\": \"\"b,c\"\"}\"\r\n");
}

TEST(Csv, Rfc4180Quoting) {
    EXPECT_EQ(csv_line({std::string("plain"), std::string("a,b"), std::string("say \"hi\""),
                        std::string("two\r\nlines"), std::string("lf\nonly")}),
              "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\"lf\nonly\"\r\n");
}

TEST(Csv, EmptyStringIsNotNull) {
    EXPECT_EQ(csv_line({std::string(""), std::nullopt, std::string("x")}), "\"\",,x\r\n");
    EXPECT_EQ(csv_line({std::nullopt}), "\r\n");
}

TEST(Csv, RecordsWithHeader) {
    EXPECT_EQ(csv_header(columns), "id,ts,path,duration,signed_in,user_name\r\n");
    // the newline is escaped (records/escaping.hpp) even with no escaped column to name it
    EXPECT_EQ(csv_record(columns, row),
              "42,2024-05-01T12:00:00.000123Z,\"/a \"\"b\"\",\\x0ac\",0.012345,true,\r\n");
}

TEST(EpochMicrosSql, SelectsWholeMicroseconds) {
    EXPECT_EQ(epoch_micros_sql("ts"), "(extract(epoch FROM ts) * 1000000)::bigint");
}
