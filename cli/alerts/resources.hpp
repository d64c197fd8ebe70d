// What check-resources measures: memory and swap (from /proc/meminfo), and
// space and inodes of filesystems (statvfs), each as a percentage used
// compared with its threshold.

#ifndef TRACE_CTL_ALERTS_RESOURCES_HPP
#define TRACE_CTL_ALERTS_RESOURCES_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

struct MemInfo {
    std::uint64_t total_kb = 0;
    std::uint64_t available_kb = 0;
    std::uint64_t swap_total_kb = 0;  // 0: no swap (also when the lines are missing)
    std::uint64_t swap_free_kb = 0;
};

// MemTotal, MemAvailable, SwapTotal and SwapFree from the text of
// /proc/meminfo; nothing when MemTotal or MemAvailable is missing
// (MemAvailable exists since Linux 3.14).
std::optional<MemInfo> parse_meminfo(std::string_view text);

// Percent used, rounded to one decimal, so that the number printed is the
// number compared with the threshold. `available` is what an unprivileged user
// may still use, as df counts it: used / (used + available), which makes a
// filesystem whose reserved blocks are all that is left 100% full.
double percent_used(std::uint64_t used, std::uint64_t available);

// Memory used: 1 - MemAvailable / MemTotal (page cache that the kernel can
// drop counts as available, unlike MemFree).
double memory_percent(const MemInfo &m);

// Swap used: (SwapTotal - SwapFree) / SwapTotal.
double swap_percent(const MemInfo &m);

// The space of a filesystem in bytes, as statvfs gives it: what the trend
// prediction (trend.hpp) keeps samples of.
struct SpaceBytes {
    std::uint64_t size = 0;       // f_blocks
    std::uint64_t used = 0;       // f_blocks - f_bfree
    std::uint64_t available = 0;  // f_bavail: what an unprivileged user may still use
};

// One resource measured against its threshold.
struct Measurement {
    std::string key;          // its name in the state file: memory, space:/var, inodes:/var
    std::string label;        // for the status line: memory, /var, /var inodes
    std::string description;  // for people: memory, disk space on /var, inodes on /var
    double percent = 0;
    double threshold = 0;
    std::string error;        // why it could not be measured; empty when it was
    std::optional<SpaceBytes> bytes = std::nullopt;  // disk space measured: the numbers behind it

    bool measured() const { return error.empty(); }
    // Over means strictly above, as in Nagios' ranges: a threshold of 100
    // never fires, and 0 fires as soon as anything is used.
    bool over_threshold() const { return measured() && percent > threshold; }
};

struct Thresholds {
    double memory = 85;
    double swap = 85;
    double disk = 85;
    double inodes = 85;
};

// The swap measurement, or nothing when the machine has no swap (SwapTotal 0):
// then there is nothing to fill up, which is neither an error nor 0%.
std::optional<Measurement> swap_measurement(const MemInfo &m, double threshold);

// Measures memory and swap, then space and inodes of each path in `paths`, or
// of every real mounted filesystem when `paths` is empty. Never throws for a resource
// that cannot be measured: that Measurement carries the error instead.
std::vector<Measurement> measure_resources(const Thresholds &thresholds,
                                           const std::vector<std::string> &paths);

}  // namespace trace_ctl

#endif
