// trace-ctl's durations ("90s", "15m", "1h30m", for --since/--until) on any
// text. Invariants:
// - only UsageError escapes; a duration is accepted exactly when it is one or
//   more NUMBER UNIT pairs (units s m h d w), blanks around the whole ignored,
//   and neither a number nor the running total passes a century of seconds;
// - its value is what a reference computes with 128-bit arithmetic, so no
//   overflow can hide (UndefinedBehaviorSanitizer also watches);
// - --since/--until (duration or time) never throw anything but UsageError.

#include "records/filters.hpp"
#include "fuzz_support.hpp"
#include "app/usage_error.hpp"

#include <cctype>

namespace {

std::optional<std::int64_t> reference(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    const __int128 limit = static_cast<__int128>(100) * 366 * 86400;
    if (text.empty()) {
        return std::nullopt;
    }
    __int128 total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        __int128 number = 0;
        std::size_t first = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            number = number * 10 + (text[i] - '0');
            if (number > limit) {
                return std::nullopt;
            }
            ++i;
        }
        if (i == first || i == text.size()) {
            return std::nullopt;
        }
        __int128 unit;
        switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return std::nullopt;
        }
        ++i;
        total += number * unit;
        if (total > limit) {
            return std::nullopt;
        }
    }
    return static_cast<std::int64_t>(total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text(reinterpret_cast<const char *>(data), size);
    std::optional<std::int64_t> want = reference(text);
    try {
        std::int64_t got = trace_ctl::parse_duration(text);
        FUZZ_CHECK(want && got == *want);
    } catch (const trace_ctl::UsageError &) {
        FUZZ_CHECK(!want);
    }
    try {
        trace_ctl::TimeBound b = trace_ctl::parse_time_bound(text, "--since");
        FUZZ_CHECK(b.seconds_ago.has_value() != b.at.has_value());
        if (b.seconds_ago) {
            FUZZ_CHECK(want && *b.seconds_ago == *want);
        }
    } catch (const trace_ctl::UsageError &) {
    }
    return 0;
}
