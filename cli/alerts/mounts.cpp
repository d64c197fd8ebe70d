#include "alerts/mounts.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>

namespace trace_ctl {

namespace {

// The kernel writes space, tab, newline and backslash in mount points as \ooo.
std::string unescape_octal(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            std::string_view digits = field.substr(i + 1, 3);
            bool octal = std::all_of(digits.begin(), digits.end(),
                                     [](char c) { return c >= '0' && c <= '7'; });
            if (octal) {
                out += static_cast<char>(((digits[0] - '0') << 6) | ((digits[1] - '0') << 3) |
                                         (digits[2] - '0'));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

constexpr std::string_view pseudo_types[] = {
    "autofs",    "binfmt_misc", "bpf",        "cgroup",     "cgroup2",  "configfs",
    "debugfs",   "devpts",      "devtmpfs",   "efivarfs",   "fusectl",  "hugetlbfs",
    "mqueue",    "nsfs",        "proc",       "pstore",     "ramfs",    "rpc_pipefs",
    "securityfs", "selinuxfs",  "squashfs",   "sysfs",      "tmpfs",    "tracefs",
    "iso9660",   "udf",         "nfs",        "nfs4",       "cifs",     "smb3",
    "9p",        "ceph",        "glusterfs",
};

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::vector<MountEntry> parse_mounts(std::string_view text) {
    std::vector<MountEntry> out;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string device, mount_point, fs_type;
        if (!(fields >> device >> mount_point >> fs_type)) {
            continue;
        }
        out.push_back({unescape_octal(device), unescape_octal(mount_point), fs_type});
    }
    return out;
}

bool is_pseudo_filesystem(const MountEntry &entry) {
    const std::string &type = entry.fs_type;
    if (type == "overlay") {
        return entry.mount_point != "/";
    }
    // fuse.sshfs, fuse.lxcfs, ... but not fuseblk (ntfs-3g on a real disk)
    if (type == "fuse" || starts_with(type, "fuse.")) {
        return true;
    }
    return std::find(std::begin(pseudo_types), std::end(pseudo_types), type) !=
           std::end(pseudo_types);
}

std::vector<MountEntry> real_filesystems(const std::vector<MountEntry> &entries) {
    // device -> index into `out` of the mount that represents it
    std::map<std::string, size_t> seen;
    std::vector<MountEntry> out;
    for (const MountEntry &entry : entries) {
        if (is_pseudo_filesystem(entry)) {
            continue;
        }
        auto it = seen.find(entry.device);
        if (it == seen.end()) {
            seen.emplace(entry.device, out.size());
            out.push_back(entry);
        } else if (entry.mount_point.size() < out[it->second].mount_point.size()) {
            out[it->second] = entry;
        }
    }
    return out;
}

}  // namespace trace_ctl
