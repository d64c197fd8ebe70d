// Reading back what the row encoder wrote, for the unit tests: a row's fields
// (still in COPY text) and where a column is in the contract's lists, so that
// a test names columns instead of counting them.

#ifndef TRACE_TEST_ENCODED_ROW_HPP
#define TRACE_TEST_ENCODED_ROW_HPP

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace trace_test {

inline std::vector<std::string> split_fields(std::string row) {
    EXPECT_FALSE(row.empty());
    EXPECT_EQ(row.back(), '\n');
    if (!row.empty() && row.back() == '\n') {
        row.pop_back();
    }
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        std::size_t tab = row.find('\t', start);
        fields.push_back(row.substr(start, tab == std::string::npos ? tab : tab - start));
        if (tab == std::string::npos) {
            return fields;
        }
        start = tab + 1;
    }
}

// The position of `name` in a column list such as TRACE_REQUEST_COLUMNS.
inline std::size_t column_index(const std::string &list, const std::string &name) {
    std::size_t index = 0, start = 0;
    for (;;) {
        std::size_t comma = list.find(',', start);
        std::string column = list.substr(start, comma == std::string::npos ? comma : comma - start);
        column.erase(0, column.find_first_not_of(' '));
        if (column == name) {
            return index;
        }
        if (comma == std::string::npos) {
            throw std::logic_error("no column " + name + " in " + list);
        }
        ++index;
        start = comma + 1;
    }
}

inline std::size_t column_count(const std::string &list) {
    std::size_t n = 1;
    for (char c : list) {
        n += c == ',';
    }
    return n;
}

}  // namespace trace_test

#endif
