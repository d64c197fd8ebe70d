// Which mounted filesystems check-resources measures when disk_paths is not
// set: the real ones in /proc/self/mounts, each device once.

#ifndef TRACE_CTL_ALERTS_MOUNTS_HPP
#define TRACE_CTL_ALERTS_MOUNTS_HPP

#include <string>
#include <vector>

namespace trace_ctl {

struct MountEntry {
    std::string device;       // e.g. /dev/vda1, or proc, tmpfs, overlay
    std::string mount_point;  // with the kernel's octal escapes (\040) undone
    std::string fs_type;
};

// Reads a mount table in fstab format (/proc/self/mounts) with getmntent_r.
// Lines with fewer than three fields are skipped. Throws FileError naming the
// file.
std::vector<MountEntry> read_mount_table(const std::string &path);

// True for filesystems that hold no data of ours or cannot fill up in a way
// that matters here: kernel interfaces (proc, sysfs, cgroup, ...), memory
// (tmpfs, ramfs), read-only images (squashfs, iso9660), network filesystems
// (nfs, cifs, fuse.*), which may hang and are someone else's to watch, and
// overlay mounts other than "/": a container's root is overlay and is exactly
// what fills up, while the host's per-container overlays are views of a
// filesystem that is measured anyway.
bool is_pseudo_filesystem(const MountEntry &entry);

// The entries worth measuring, in mount order: pseudo filesystems dropped, and
// of several mounts of one device (bind mounts) only the one with the shortest
// mount point kept.
std::vector<MountEntry> real_filesystems(const std::vector<MountEntry> &entries);

}  // namespace trace_ctl

#endif
