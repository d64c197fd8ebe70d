#include "alerts/mail_message.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

using namespace trace_ctl;

namespace {

MailMessage sample() {
    MailMessage m;
    m.from = "nginx-trace@web-1.example.org";
    m.to = {"ops@example.org", "root@example.org"};
    m.subject = "[nginx-trace] web-1: memory at 91.2% (threshold 85%)";
    m.body = "Host: web-1\n\nline two\r\nline three";
    m.date = "Tue, 07 May 2024 14:03:00 +0200";
    m.message_id = "<1.2.3@web-1.example.org>";
    return m;
}

std::string headers_of(const std::string &message) {
    return message.substr(0, message.find("\r\n\r\n") + 2);
}

bool has_bare_line_feed_or_cr(const std::string &s) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
            return true;
        }
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST(MailMessage, HeadersThenBlankLineThenBodyAllInCrlf) {
    std::string msg = build_message(sample());
    EXPECT_FALSE(has_bare_line_feed_or_cr(msg));
    EXPECT_EQ(headers_of(msg),
              "Date: Tue, 07 May 2024 14:03:00 +0200\r\n"
              "From: nginx-trace@web-1.example.org\r\n"
              "To: ops@example.org, root@example.org\r\n"
              "Subject: [nginx-trace] web-1: memory at 91.2% (threshold 85%)\r\n"
              "Message-ID: <1.2.3@web-1.example.org>\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: 7bit\r\n"
              "Auto-Submitted: auto-generated\r\n");
    EXPECT_EQ(msg.substr(msg.find("\r\n\r\n") + 4), "Host: web-1\r\n\r\nline two\r\nline three\r\n");
}

TEST(MailMessage, NoHeaderInjectionThroughTheSubject) {
    MailMessage m = sample();
    m.subject = "disk full\r\nBcc: victim@example.com\nX-Evil: 1\r";
    std::string headers = headers_of(build_message(m));
    EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos);
    EXPECT_EQ(headers.find("\r\nX-Evil:"), std::string::npos);
    EXPECT_NE(headers.find("Subject: disk full Bcc: victim@example.com X-Evil: 1"),
              std::string::npos);
    EXPECT_FALSE(has_bare_line_feed_or_cr(headers));
}

TEST(MailMessage, NoHeaderInjectionThroughAddresses) {
    for (const char *bad : {"ops@example.org\r\nBcc: x@y", "ops@example.org, x@y", "no-at-sign",
                            "a b@example.org", "<ops@example.org>", ""}) {
        MailMessage m = sample();
        m.to = {bad};
        EXPECT_THROW(build_message(m), std::invalid_argument) << bad;
        m = sample();
        m.from = bad;
        EXPECT_THROW(build_message(m), std::invalid_argument) << bad;
    }
    MailMessage none = sample();
    none.to.clear();
    EXPECT_THROW(build_message(none), std::invalid_argument);
}

TEST(MailMessage, LongSubjectsAreFoldedAtSpaces) {
    MailMessage m = sample();
    std::string words;
    for (int i = 0; i < 30; ++i) {
        words += " word" + std::to_string(i);
    }
    m.subject = "start" + words;
    std::string headers = headers_of(build_message(m));
    std::string subject = headers.substr(headers.find("Subject: "));
    subject = subject.substr(0, subject.find("\r\nMessage-ID"));
    // Every continuation line starts with a space and no line is longer than 78.
    size_t start = 0;
    int lines = 0;
    while (start <= subject.size()) {
        size_t end = subject.find("\r\n", start);
        std::string line = subject.substr(start, end == std::string::npos ? std::string::npos : end - start);
        EXPECT_LE(line.size(), 78u) << line;
        if (lines > 0) {
            EXPECT_EQ(line[0], ' ');
        }
        ++lines;
        if (end == std::string::npos) {
            break;
        }
        start = end + 2;
    }
    EXPECT_GT(lines, 1);
    // Unfolding gives the subject back.
    EXPECT_EQ(std::regex_replace(subject, std::regex("\r\n "), " "), "Subject: " + m.subject);
}

TEST(MailMessage, NonAsciiBecomesEncodedWords) {
    std::string value = encode_header_value("Plattenplatz auf /srv/Übersicht fast voll", 7);
    EXPECT_EQ(value.find("Ü"), std::string::npos);
    EXPECT_EQ(value.rfind("=?UTF-8?B?", 0), 0u);
    std::regex word("=\\?UTF-8\\?B\\?[A-Za-z0-9+/=]+\\?=");
    std::string rest = std::regex_replace(value, word, "");
    EXPECT_EQ(std::regex_replace(rest, std::regex("\r\n "), ""), "") << value;
}

TEST(MailMessage, EncodedWordsStayShortAndNeverSplitACharacter) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
        text += "é";  // two bytes each
    }
    std::string value = encode_header_value(text, 7);
    const std::regex encoded_word("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]+)\\?=");
    std::sregex_iterator it(value.begin(), value.end(), encoded_word);
    int words = 0;
    for (; it != std::sregex_iterator(); ++it, ++words) {
        EXPECT_LE(it->str().size(), 75u);
        // 45 bytes at most, an even number of them: no é is cut in half.
        std::string b64 = (*it)[1];
        size_t padding = b64.size() - b64.find_last_not_of('=') - 1;
        size_t bytes = b64.size() / 4 * 3 - padding;
        EXPECT_EQ(bytes % 2, 0u);
    }
    EXPECT_EQ(words, 2);
}

TEST(MailMessage, HugeValuesAreCut) {
    std::string value = encode_header_value(std::string(5000, 'x'), 7);
    EXPECT_LT(value.size(), 998u);
    EXPECT_EQ(value.substr(value.size() - 3), "...");
}

TEST(MailMessage, EightBitBodiesSaySo) {
    MailMessage m = sample();
    m.body = "disk space on /srv/Übersicht: 97%";
    EXPECT_NE(build_message(m).find("Content-Transfer-Encoding: 8bit\r\n"), std::string::npos);
}

TEST(MailMessage, Rfc5322Date) {
    std::tm tm{};
    tm.tm_year = 2024 - 1900;
    tm.tm_mon = 4;
    tm.tm_mday = 7;
    tm.tm_wday = 2;
    tm.tm_hour = 14;
    tm.tm_min = 3;
    tm.tm_sec = 9;
    EXPECT_EQ(rfc5322_date(tm, 7200), "Tue, 07 May 2024 14:03:09 +0200");
    EXPECT_EQ(rfc5322_date(tm, -(3 * 3600 + 1800)), "Tue, 07 May 2024 14:03:09 -0330");
    EXPECT_EQ(rfc5322_date(tm, 0), "Tue, 07 May 2024 14:03:09 +0000");
}

TEST(MailMessage, MessageIdIsUniqueAndWellFormed) {
    std::string a = make_message_id(1700000000, 42, "00ff", "web-1.example.org");
    std::string b = make_message_id(1700000000, 42, "0100", "web-1.example.org");
    EXPECT_NE(a, b);
    EXPECT_TRUE(std::regex_match(a, std::regex("<[^<>@\\s]+@web-1\\.example\\.org>"))) << a;
    std::string odd = make_message_id(1, 2, "3", "bad host>\r\nX: y");
    EXPECT_TRUE(std::regex_match(odd, std::regex("<[^<>@\\s]+@[A-Za-z0-9.-]+>"))) << odd;
}
