#include "alerts/mounts.hpp"

#include "app/files.hpp"

#include <mntent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <string_view>

namespace trace_ctl {

namespace {

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

std::vector<MountEntry> read_mount_table(const std::string &path) {
    std::unique_ptr<FILE, decltype(&endmntent)> table(setmntent(path.c_str(), "r"), endmntent);
    if (!table) {
        throw FileError("cannot read " + path + ": " + std::strerror(errno), errno);
    }
    std::vector<MountEntry> out;
    struct mntent entry {};
    // Only the first three fields matter; a longer line loses some options.
    std::vector<char> line(64 * 1024);
    // getmntent_r undoes the kernel's octal escapes (\040 for a space), and
    // leaves the type empty on a line of fewer than three fields.
    while (getmntent_r(table.get(), &entry, line.data(), static_cast<int>(line.size()))) {
        if (entry.mnt_type[0] != '\0') {
            out.push_back({entry.mnt_fsname, entry.mnt_dir, entry.mnt_type});
        }
    }
    if (std::ferror(table.get())) {
        throw FileError("cannot read " + path + ": " + std::strerror(errno), errno);
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
