#include "schema/sql_statements.hpp"

#include <algorithm>
#include <cctype>

namespace trace_ctl {

namespace {

bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

// The dollar-quote tag starting at sql[i] ('$', optional identifier, '$'), or
// empty when there is none (a positional parameter $1 is no tag).
std::string_view dollar_tag(std::string_view sql, size_t i) {
    size_t j = i + 1;
    if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
        return {};
    }
    while (j < sql.size() && is_ident_char(sql[j]) && sql[j] != '$') {
        ++j;
    }
    if (j < sql.size() && sql[j] == '$') {
        return sql.substr(i, j - i + 1);
    }
    return {};
}

class Splitter {
public:
    explicit Splitter(std::string_view sql) : sql_(sql) {}

    std::vector<std::string> run() {
        while (pos_ < sql_.size()) {
            char c = sql_[pos_];
            char next = pos_ + 1 < sql_.size() ? sql_[pos_ + 1] : '\0';
            if (c == '-' && next == '-') {
                skip_line_comment();
            } else if (c == '/' && next == '*') {
                skip_block_comment();
            } else if (c == '\'') {
                bool backslashes = pos_ > 0 && (sql_[pos_ - 1] == 'E' || sql_[pos_ - 1] == 'e') &&
                                   (pos_ < 2 || !is_ident_char(sql_[pos_ - 2]));
                skip_quoted('\'', backslashes, "string");
            } else if (c == '"') {
                skip_quoted('"', false, "quoted identifier");
            } else if (c == '$' && (pos_ == 0 || !is_ident_char(sql_[pos_ - 1])) &&
                       !dollar_tag(sql_, pos_).empty()) {
                skip_dollar_quoted();
            } else if (c == ';') {
                finish(pos_);
                ++pos_;
                start_ = pos_;
                meaningful_ = false;
            } else {
                if (std::isspace(static_cast<unsigned char>(c)) == 0) {
                    meaningful_ = true;
                }
                ++pos_;
            }
        }
        finish(sql_.size());
        return std::move(out_);
    }

private:
    size_t line_at(size_t at) const {
        return 1 + static_cast<size_t>(std::count(sql_.begin(), sql_.begin() + at, '\n'));
    }

    [[noreturn]] void unclosed(const char *what, size_t opened) const {
        throw SqlSplitError(std::string("unterminated ") + what + " starting on line " +
                            std::to_string(line_at(opened)));
    }

    void skip_line_comment() {
        size_t end = sql_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? sql_.size() : end + 1;
    }

    // PostgreSQL's block comments nest.
    void skip_block_comment() {
        size_t opened = pos_;
        int depth = 0;
        while (pos_ < sql_.size()) {
            if (sql_[pos_] == '/' && pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '*') {
                ++depth;
                pos_ += 2;
            } else if (sql_[pos_] == '*' && pos_ + 1 < sql_.size() && sql_[pos_ + 1] == '/') {
                pos_ += 2;
                if (--depth == 0) {
                    return;
                }
            } else {
                ++pos_;
            }
        }
        unclosed("comment", opened);
    }

    // A doubled quote is the quote itself; in E'...' a backslash escapes the next byte.
    void skip_quoted(char quote, bool backslashes, const char *what) {
        size_t opened = pos_;
        meaningful_ = true;
        ++pos_;
        while (pos_ < sql_.size()) {
            char c = sql_[pos_];
            if (backslashes && c == '\\') {
                pos_ += 2;
            } else if (c == quote) {
                if (pos_ + 1 < sql_.size() && sql_[pos_ + 1] == quote) {
                    pos_ += 2;
                } else {
                    ++pos_;
                    return;
                }
            } else {
                ++pos_;
            }
        }
        unclosed(what, opened);
    }

    void skip_dollar_quoted() {
        size_t opened = pos_;
        std::string_view tag = dollar_tag(sql_, pos_);
        meaningful_ = true;
        size_t end = sql_.find(tag, pos_ + tag.size());
        if (end == std::string_view::npos) {
            unclosed("dollar-quoted text", opened);
        }
        pos_ = end + tag.size();
    }

    void finish(size_t end) {
        if (!meaningful_) {
            return;
        }
        std::string_view s = sql_.substr(start_, end - start_);
        size_t first = 0;
        while (first < s.size() && std::isspace(static_cast<unsigned char>(s[first])) != 0) {
            ++first;
        }
        size_t last = s.size();
        while (last > first && std::isspace(static_cast<unsigned char>(s[last - 1])) != 0) {
            --last;
        }
        out_.emplace_back(s.substr(first, last - first));
    }

    std::string_view sql_;
    size_t pos_ = 0;
    size_t start_ = 0;
    bool meaningful_ = false;   // anything but blanks and comments since start_
    std::vector<std::string> out_;
};

}  // namespace

std::vector<std::string> split_sql_statements(std::string_view sql) {
    return Splitter(sql).run();
}

}  // namespace trace_ctl
