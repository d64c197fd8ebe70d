#include "app/time_text.hpp"
#include "zone_guard.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

constexpr EpochMicros may_first_noon_utc = 1714564800LL * 1000000;  // 2024-05-01T12:00:00Z

}  // namespace

TEST(ParseTime, ExplicitZones) {
    EXPECT_EQ(parse_time("2024-05-01T12:00:00Z"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-01 12:00:00z"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-01T14:00:00+02:00"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-01T14:00+0200"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-01T07:00:00-05"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-01T12:00:00.25Z"), may_first_noon_utc + 250000);
    EXPECT_EQ(parse_time("2024-05-01T12:00:00.1234567Z"), may_first_noon_utc + 123456);
}

TEST(ParseTime, WithoutZoneIsLocal) {
    ZoneGuard tokyo("Asia/Tokyo");
    EXPECT_EQ(parse_time("2024-05-01 21:00"), may_first_noon_utc);
    EXPECT_EQ(parse_time("2024-05-02"), may_first_noon_utc + 3LL * 3600 * 1000000);
}

TEST(ParseTime, RejectsDaysThatDoNotExistAndOtherText) {
    for (const char *bad :
         {"", "2024", "2024-05", "2024-02-30", "2023-02-29", "2024-13-01", "2024-05-01T25:00",
          "2024-05-01T12:60", "2024-05-01T12:00:00.", "2024-05-01 12", "2024-05-01T12:00:00+2",
          "24-05-01", "now", "2024-05-01T12:00:00Z trailing"}) {
        EXPECT_FALSE(parse_time(bad)) << bad;
    }
    EXPECT_TRUE(parse_time("2024-02-29"));
}

TEST(FormatTime, UtcWithMicroseconds) {
    EXPECT_EQ(format_utc_time(may_first_noon_utc + 7), "2024-05-01T12:00:00.000007Z");
    EXPECT_EQ(format_utc_time(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(FormatTime, LocalZone) {
    ZoneGuard tokyo("Asia/Tokyo");
    EXPECT_EQ(format_local_time(may_first_noon_utc + 999999), "2024-05-01 21:00:00");
    ZoneGuard utc("UTC");
    EXPECT_EQ(format_local_time(may_first_noon_utc), "2024-05-01 12:00:00");
}

TEST(FormatDuration, FitsSevenCharacters) {
    EXPECT_EQ(format_duration("0.000123"), "0.1ms");
    EXPECT_EQ(format_duration("0.0123"), "12.3ms");
    EXPECT_EQ(format_duration("0.85"), "850ms");
    EXPECT_EQ(format_duration("1.25"), "1.25s");
    EXPECT_EQ(format_duration("12.34"), "12.3s");
    EXPECT_EQ(format_duration("200"), "3m20s");
    EXPECT_EQ(format_duration("7500"), "2h05m");
    EXPECT_EQ(format_duration("1000000"), "11d");
    EXPECT_EQ(format_duration("soon"), "soon");
    for (const char *s : {"0.000123", "0.0123", "0.85", "1.25", "59.9", "3599", "359999"}) {
        EXPECT_LE(format_duration(s).size(), 7u) << s;
    }
}

TEST(FormatAge, LargestUnitRoundedDown) {
    EXPECT_EQ(format_age(0.3), "just now");
    EXPECT_EQ(format_age(4.9), "4 s ago");
    EXPECT_EQ(format_age(12 * 60 + 59), "12 min ago");
    EXPECT_EQ(format_age(3 * 3600 + 1), "3 h ago");
    EXPECT_EQ(format_age(5 * 86400), "5 d ago");
    EXPECT_EQ(format_age(-90), "1 min in the future");
}
