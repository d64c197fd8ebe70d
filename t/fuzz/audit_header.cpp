// The audit header grammar ("ACTION [USER]") on any value an upstream can
// send. Invariants:
// - accepted exactly when a reference tokenizer says the value is one action
//   (login, logout, login_failed) and at most one more blank-free token;
// - the user is that token, percent-decoded ('+' stays '+');
// - the C API, given a user buffer of the value's length (what the shim
//   allocates, less its spare byte), never writes past it, and agrees.

#include "form_fields.hpp"
#include "fuzz_support.hpp"
#include "trace_core.h"

#include <cstring>
#include <memory>
#include <vector>

namespace {

struct Expected {
    std::string action;
    std::string user;
};

std::optional<Expected> reference_parse(std::string_view value) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < value.size()) {
        if (value[i] == ' ' || value[i] == '\t') {
            ++i;
            continue;
        }
        std::size_t start = i;
        while (i < value.size() && value[i] != ' ' && value[i] != '\t') {
            ++i;
        }
        tokens.push_back(value.substr(start, i - start));
    }
    if (tokens.empty() || tokens.size() > 2) {
        return std::nullopt;
    }
    if (tokens[0] != "login" && tokens[0] != "logout" && tokens[0] != "login_failed") {
        return std::nullopt;
    }
    return Expected{std::string(tokens[0]),
                    tokens.size() == 2 ? fuzz::percent_decode(tokens[1], false) : ""};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view value(reinterpret_cast<const char *>(data), size);
    std::optional<trace::AuditHeader> parsed = trace::parse_audit_header(value);
    std::optional<Expected> expected = reference_parse(value);
    FUZZ_CHECK(parsed.has_value() == expected.has_value());
    if (parsed) {
        FUZZ_CHECK(parsed->action == expected->action);
        FUZZ_CHECK(parsed->user == expected->user);
    }

    // Exactly `size` bytes on the heap, so that AddressSanitizer sees any
    // write past them. (new[0] is a valid, zero-sized allocation.)
    std::unique_ptr<unsigned char[]> user(new unsigned char[size]);
    const char *action = nullptr;
    std::size_t user_len = SIZE_MAX;
    int rc = trace_audit_header_parse(data, size, &action, user.get(), &user_len);
    FUZZ_CHECK((rc == 0) == expected.has_value());
    if (rc == 0) {
        FUZZ_CHECK(action != nullptr && expected->action == action);
        FUZZ_CHECK(user_len == expected->user.size());
        FUZZ_CHECK(std::memcmp(user.get(), expected->user.data(), user_len) == 0);
    }
    return 0;
}
