// trace-ctl's --status list ("500", "5xx", "4xx,5xx") on any text a person can
// type. Invariants:
// - only UsageError escapes, and the list is accepted exactly when a reference
//   grammar accepts it: comma-separated items, blanks around them ignored,
//   each a code NNN (at least 100) or a class Nxx (N 1..9, x in any case);
// - what comes back equals the reference's ranges, sorted, with overlapping
//   and adjacent ones merged: sorted, disjoint, not touching, within 100..999.

#include "records/filters.hpp"
#include "fuzz_support.hpp"
#include "app/usage_error.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace {

using Range = std::pair<int, int>;

std::optional<std::vector<Range>> reference(std::string_view text) {
    std::vector<Range> items;
    std::size_t start = 0;
    for (;;) {
        std::size_t comma = std::min(text.find(',', start), text.size());
        std::string_view item = text.substr(start, comma - start);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
            item.remove_prefix(1);
        }
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
            item.remove_suffix(1);
        }
        if (item.size() != 3) {
            return std::nullopt;
        }
        bool digits = std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
        bool cls = item[0] >= '1' && item[0] <= '9' && (item[1] == 'x' || item[1] == 'X') &&
                   (item[2] == 'x' || item[2] == 'X');
        if (digits) {
            int code = (item[0] - '0') * 100 + (item[1] - '0') * 10 + (item[2] - '0');
            if (code < 100) {
                return std::nullopt;
            }
            items.emplace_back(code, code);
        } else if (cls) {
            items.emplace_back((item[0] - '0') * 100, (item[0] - '0') * 100 + 99);
        } else {
            return std::nullopt;
        }
        if (comma == text.size()) {
            break;
        }
        start = comma + 1;
    }
    std::sort(items.begin(), items.end());
    std::vector<Range> merged;
    for (const Range &r : items) {
        if (!merged.empty() && r.first <= merged.back().second + 1) {
            merged.back().second = std::max(merged.back().second, r.second);
        } else {
            merged.push_back(r);
        }
    }
    return merged;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text(reinterpret_cast<const char *>(data), size);
    std::optional<std::vector<Range>> want = reference(text);
    std::vector<trace_ctl::StatusRange> got;
    try {
        got = trace_ctl::parse_status_list(text);
    } catch (const trace_ctl::UsageError &) {
        FUZZ_CHECK(!want);
        return 0;
    }
    FUZZ_CHECK(want);
    FUZZ_CHECK(got.size() == want->size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        FUZZ_CHECK(got[i].low == (*want)[i].first && got[i].high == (*want)[i].second);
        FUZZ_CHECK(got[i].low >= 100 && got[i].high <= 999 && got[i].low <= got[i].high);
        FUZZ_CHECK(i == 0 || got[i].low > got[i - 1].high + 1);
    }
    return 0;
}
