// The reference model of the escaped form of sql/0003, for the unit tests: a
// value with bytes PostgreSQL cannot hold in text is stored with every
// backslash doubled and each such byte written as \xHH. Written apart from
// copy_text.cpp on purpose, so that the tests check the encoder against it.

#ifndef TRACE_TEST_STORED_FORM_HPP
#define TRACE_TEST_STORED_FORM_HPP

#include "copy_text.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace trace_test {

inline std::string escaped_form(const std::string &in) {
    std::string out;
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t n = trace::valid_utf8_prefix(std::string_view(in).substr(i));
        for (std::size_t k = i; k < i + n; ++k) {
            out += in[k];
            if (in[k] == '\\') {
                out += '\\';
            }
        }
        i += n;
        if (i < in.size()) {
            char buf[5];
            std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(in[i]));
            out += buf;
            ++i;
        }
    }
    return out;
}

}  // namespace trace_test

#endif
