#include "path_regex.hpp"

#include <gtest/gtest.h>

using trace::PathRegex;

TEST(PathRegex, MatchesAnywhereUnlessAnchored) {
    PathRegex r("^/static/");
    EXPECT_TRUE(r.matches("/static/app.js"));
    EXPECT_FALSE(r.matches("/x/static/app.js"));
    PathRegex any("\\.(css|js)$");
    EXPECT_TRUE(any.matches("/a/b.css"));
    EXPECT_FALSE(any.matches("/a/b.css.map"));
}

TEST(PathRegex, AnyBytesAreASubject) {
    PathRegex r("^/a");
    EXPECT_TRUE(r.matches(std::string_view("/a\0\xff\xfe", 5)));
    EXPECT_FALSE(r.matches(std::string_view("\xff/a", 3)));
    EXPECT_FALSE(r.matches(""));
}

// Found by the path_regex fuzz target: with pcre2_jit_match(), a pattern in
// UTF mode matched a truncated UTF-8 sequence, reading past the subject.
TEST(PathRegex, UtfModePatternOnInvalidUtf8DoesNotMatch) {
    PathRegex dot("(*UTF)^/.$");
    EXPECT_TRUE(dot.matches("/\xc3\xa9"));
    EXPECT_FALSE(dot.matches("/\xc3"));
    PathRegex e_acute("(*UTF)^/caf\\x{e9}");
    EXPECT_TRUE(e_acute.matches("/caf\xc3\xa9"));
    EXPECT_FALSE(e_acute.matches("/caf\xe9"));
}

TEST(PathRegex, BadPatternSaysWhere) {
    try {
        PathRegex r("(unclosed");
        FAIL() << "compiled";
    } catch (const trace::RegexError &e) {
        EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
    }
}

TEST(PathRegex, PathologicalPatternIsBounded) {
    PathRegex r("^(a+)+$");
    std::string subject(4096, 'a');
    subject += '!';
    EXPECT_FALSE(r.matches(subject));  // gives up at the match limit: not excluded
}
