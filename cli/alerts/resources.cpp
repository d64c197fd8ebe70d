#include "alerts/resources.hpp"

#include "alerts/mounts.hpp"
#include "app/files.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>

namespace trace_ctl {

namespace {

double round_to_tenth(double percent) {
    return std::round(percent * 10.0) / 10.0;
}

Measurement failed(std::string key, std::string label, std::string description,
                   double threshold, std::string error) {
    Measurement m{std::move(key), std::move(label), std::move(description), 0, threshold,
                  std::move(error)};
    return m;
}

// Memory, and swap when there is any. When /proc/meminfo cannot be read,
// memory says why and swap is left out: one error is enough.
void measure_memory(const Thresholds &thresholds, std::vector<Measurement> &out) {
    const char *key = "memory";
    try {
        std::optional<MemInfo> info = parse_meminfo(read_file("/proc/meminfo").text);
        if (!info || info->total_kb == 0) {
            out.push_back(failed(key, key, key, thresholds.memory,
                                 "/proc/meminfo has no MemTotal or MemAvailable (Linux 3.14 or "
                                 "later is needed)"));
            return;
        }
        out.push_back(Measurement{key, key, key, memory_percent(*info), thresholds.memory, {}});
        if (std::optional<Measurement> swap = swap_measurement(*info, thresholds.swap)) {
            out.push_back(std::move(*swap));
        }
    } catch (const FileError &e) {
        out.push_back(failed(key, key, key, thresholds.memory, e.what()));
    }
}

// Space and inodes of the filesystem holding `path`. `skip_empty` drops
// filesystems that report no blocks at all (pseudo filesystems the type list
// does not know) instead of calling them an error.
void measure_filesystem(const std::string &path, const Thresholds &thresholds, bool skip_empty,
                        std::vector<Measurement> &out) {
    std::string space_key = "space:" + path;
    std::string inodes_key = "inodes:" + path;
    std::string space_description = "disk space on " + path;
    struct statvfs vfs {};
    if (::statvfs(path.c_str(), &vfs) != 0) {
        out.push_back(failed(space_key, path, space_description, thresholds.disk,
                             std::strerror(errno)));
        return;
    }
    if (vfs.f_blocks == 0) {
        if (!skip_empty) {
            out.push_back(failed(space_key, path, space_description, thresholds.disk,
                                 "the filesystem reports no size"));
        }
        return;
    }
    std::uint64_t used_blocks = vfs.f_blocks - vfs.f_bfree;
    Measurement space{space_key, path, space_description,
                      percent_used(used_blocks, vfs.f_bavail), thresholds.disk, {}};
    // Bytes, not blocks: the block size may differ after the filesystem is
    // replaced, and the trend compares samples across runs.
    std::uint64_t unit = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
    space.bytes = SpaceBytes{static_cast<std::uint64_t>(vfs.f_blocks) * unit,
                             used_blocks * unit, static_cast<std::uint64_t>(vfs.f_bavail) * unit};
    out.push_back(std::move(space));
    // btrfs and some others have no inode limit and report none.
    if (vfs.f_files > 0) {
        std::uint64_t used_inodes = vfs.f_files - vfs.f_ffree;
        out.push_back({inodes_key, path + " inodes", "inodes on " + path,
                       percent_used(used_inodes, vfs.f_favail), thresholds.inodes, {}});
    }
}

// The real filesystems to measure when no paths are given. "/" is always one of
// them: inside a chroot (or a mount namespace where the root is not a mount of
// its own) /proc/self/mounts does not list it, yet it is what fills up, and a
// check that measured no disk must not say OK. A listed mount of the same
// filesystem (same st_dev: a bind mount into the chroot) is that filesystem
// seen from elsewhere, and is measured once, as "/".
std::vector<std::string> filesystems_to_measure(const std::vector<MountEntry> &mounts) {
    std::vector<std::string> out;
    bool root_listed = false;
    for (const MountEntry &fs : real_filesystems(mounts)) {
        root_listed = root_listed || fs.mount_point == "/";
        out.push_back(fs.mount_point);
    }
    struct stat root {};
    if (root_listed || ::stat("/", &root) != 0) {
        return out;
    }
    for (std::string &path : out) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && st.st_dev == root.st_dev) {
            path = "/";
            return out;
        }
    }
    out.insert(out.begin(), "/");
    return out;
}

}  // namespace

std::optional<MemInfo> parse_meminfo(std::string_view text) {
    std::optional<std::uint64_t> total, available;
    std::uint64_t swap_total = 0, swap_free = 0;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string name;
        std::uint64_t kb = 0;
        if (!(fields >> name >> kb)) {
            continue;
        }
        if (name == "MemTotal:") {
            total = kb;
        } else if (name == "MemAvailable:") {
            available = kb;
        } else if (name == "SwapTotal:") {
            swap_total = kb;
        } else if (name == "SwapFree:") {
            swap_free = kb;
        }
    }
    if (!total || !available) {
        return std::nullopt;
    }
    return MemInfo{*total, *available, swap_total, swap_free};
}

double percent_used(std::uint64_t used, std::uint64_t available) {
    long double whole = static_cast<long double>(used) + static_cast<long double>(available);
    if (whole <= 0) {
        return used > 0 ? 100.0 : 0.0;
    }
    return round_to_tenth(static_cast<double>(100.0L * used / whole));
}

double memory_percent(const MemInfo &m) {
    if (m.total_kb == 0) {
        return 0;
    }
    // MemAvailable is an estimate and may in principle exceed MemTotal.
    std::uint64_t available = m.available_kb < m.total_kb ? m.available_kb : m.total_kb;
    return percent_used(m.total_kb - available, available);
}

double swap_percent(const MemInfo &m) {
    if (m.swap_total_kb == 0) {
        return 0;
    }
    std::uint64_t free = m.swap_free_kb < m.swap_total_kb ? m.swap_free_kb : m.swap_total_kb;
    return percent_used(m.swap_total_kb - free, free);
}

std::optional<Measurement> swap_measurement(const MemInfo &m, double threshold) {
    if (m.swap_total_kb == 0) {
        return std::nullopt;
    }
    return Measurement{"swap", "swap", "swap", swap_percent(m), threshold, {}};
}

std::vector<Measurement> measure_resources(const Thresholds &thresholds,
                                           const std::vector<std::string> &paths) {
    std::vector<Measurement> out;
    measure_memory(thresholds, out);
    if (!paths.empty()) {
        for (const std::string &path : paths) {
            measure_filesystem(path, thresholds, false, out);
        }
        return out;
    }
    try {
        for (const std::string &path :
             filesystems_to_measure(read_mount_table("/proc/self/mounts"))) {
            measure_filesystem(path, thresholds, true, out);
        }
    } catch (const FileError &e) {
        out.push_back(failed("mounts", "mounts", "mounted filesystems", thresholds.disk,
                             e.what()));
    }
    return out;
}

}  // namespace trace_ctl
