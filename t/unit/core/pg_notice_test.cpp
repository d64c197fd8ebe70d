// The server's notices as lines of nginx's error log: one line, prefixed like
// the module's other messages, at the level of nginx's of the same name.

#include "pg_link.hpp"
#include "trace_core.h"

#include <gtest/gtest.h>

using namespace trace;

TEST(PgNotice, WarningIsWarn) {
    NoticeLine line = notice_line("WARNING", "terminating connection due to immediate shutdown command",
                                  nullptr, nullptr);
    EXPECT_EQ(line.level, TRACE_LOG_WARN);
    EXPECT_EQ(line.text,
              "trace: PostgreSQL WARNING: terminating connection due to immediate shutdown command");
}

TEST(PgNotice, NoticeIsNoticeAndTheRestInfo) {
    EXPECT_EQ(notice_line("NOTICE", "x", nullptr, nullptr).level, TRACE_LOG_NOTICE);
    EXPECT_EQ(notice_line("INFO", "x", nullptr, nullptr).level, TRACE_LOG_INFO);
    EXPECT_EQ(notice_line("LOG", "x", nullptr, nullptr).level, TRACE_LOG_INFO);
    EXPECT_EQ(notice_line("DEBUG", "x", nullptr, nullptr).level, TRACE_LOG_INFO);
}

TEST(PgNotice, OneLineWithDetailAndHint) {
    NoticeLine line = notice_line("NOTICE", "first\nsecond\tthird\n", "a\n detail", "the\nhint\n");
    EXPECT_EQ(line.text, "trace: PostgreSQL NOTICE: first second third DETAIL: a detail HINT: the hint");
}

TEST(PgNotice, MissingFields) {
    NoticeLine line = notice_line(nullptr, nullptr, "", "");
    EXPECT_EQ(line.level, TRACE_LOG_NOTICE);
    EXPECT_EQ(line.text, "trace: PostgreSQL NOTICE: ");
}
