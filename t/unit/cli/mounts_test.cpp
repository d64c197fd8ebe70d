#include "alerts/mounts.hpp"
#include "app/files.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>

using trace_ctl::is_pseudo_filesystem;
using trace_ctl::MountEntry;
using trace_ctl::read_mount_table;
using trace_ctl::real_filesystems;

namespace {

// What read_mount_table makes of `text` as a mount table, in a temporary file.
std::vector<MountEntry> parse_mounts(const std::string &text) {
    const char *dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/mounts_test.XXXXXX";
    int fd = ::mkstemp(path.data());
    EXPECT_GE(fd, 0) << path;
    ::close(fd);
    std::ofstream(path, std::ios::binary) << text;
    std::vector<MountEntry> entries = read_mount_table(path);
    ::unlink(path.c_str());
    return entries;
}

std::vector<std::string> mount_points(const std::vector<MountEntry> &entries) {
    std::vector<std::string> out;
    for (const MountEntry &e : entries) {
        out.push_back(e.mount_point);
    }
    return out;
}

// A host with the usual kernel filesystems, a bind mount, a docker overlay and
// an NFS share.
const char *const host_mounts =
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "udev /dev devtmpfs rw,nosuid,relatime,size=8043216k,nr_inodes=2010804,mode=755 0 0\n"
    "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0\n"
    "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1612892k,mode=755 0 0\n"
    "/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0\n"
    "securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n"
    "pstore /sys/fs/pstore pstore rw,nosuid,nodev,noexec,relatime 0 0\n"
    "bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n"
    "systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=29,pgrp=1 0 0\n"
    "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0\n"
    "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
    "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "fusectl /sys/fs/fuse/connections fusectl rw,nosuid,nodev,noexec,relatime 0 0\n"
    "configfs /sys/kernel/config configfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "/dev/loop0 /snap/core20/1974 squashfs ro,nodev,relatime,errors=continue 0 0\n"
    "/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0\n"
    "/dev/mapper/data /var/lib/postgresql xfs rw,relatime,attr2,inode64 0 0\n"
    "/dev/nvme0n1p2 /var/lib/docker/bind ext4 rw,relatime,errors=remount-ro 0 0\n"
    "overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime,lowerdir=/x 0 0\n"
    "nsfs /run/docker/netns/1 nsfs rw 0 0\n"
    "nas:/export /mnt/nas nfs4 rw,relatime,vers=4.2 0 0\n"
    "sshfs#me@h: /mnt/remote fuse.sshfs rw,nosuid,nodev 0 0\n"
    "/dev/sdb1 /media/usb fuseblk rw,nosuid,nodev,relatime 0 0\n"
    "binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0\n";

}  // namespace

TEST(Mounts, ParsesFieldsAndUndoesOctalEscapes) {
    auto entries = parse_mounts("/dev/sda1 /mnt/my\\040disk\\011tab ext4 rw 0 0\n"
                                "/dev/sda2 /back\\134slash xfs rw 0 0\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].device, "/dev/sda1");
    EXPECT_EQ(entries[0].mount_point, "/mnt/my disk\ttab");
    EXPECT_EQ(entries[0].fs_type, "ext4");
    EXPECT_EQ(entries[1].mount_point, "/back\\slash");
}

TEST(Mounts, LeavesBackslashesThatAreNotEscapesAlone) {
    auto entries = parse_mounts("/dev/sda1 /a\\9b\\04 ext4 rw 0 0\n");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].mount_point, "/a\\9b\\04");
}

TEST(Mounts, SkipsShortAndEmptyLines) {
    auto entries = parse_mounts("\n/dev/sda1 /\n   \n/dev/sda2 /srv ext4 rw 0 0");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].mount_point, "/srv");
}

TEST(Mounts, KeepsRealFilesystemsOnceEach) {
    auto real = real_filesystems(parse_mounts(host_mounts));
    EXPECT_EQ(mount_points(real),
              (std::vector<std::string>{"/", "/boot/efi", "/var/lib/postgresql", "/media/usb"}));
}

TEST(Mounts, ABindMountIsMeasuredUnderItsShortestName) {
    auto real = real_filesystems(parse_mounts("/dev/sda1 /var/lib/docker/x ext4 rw 0 0\n"
                                              "/dev/sda1 /var ext4 rw 0 0\n"
                                              "/dev/sda1 /var/lib ext4 rw 0 0\n"));
    EXPECT_EQ(mount_points(real), std::vector<std::string>{"/var"});
}

TEST(Mounts, OverlayIsRealOnlyAsTheRootOfAContainer) {
    EXPECT_FALSE(is_pseudo_filesystem({"overlay", "/", "overlay"}));
    EXPECT_TRUE(is_pseudo_filesystem({"overlay", "/var/lib/docker/overlay2/x/merged", "overlay"}));
    auto container = real_filesystems(parse_mounts(
        "overlay / overlay rw,relatime,lowerdir=/a,upperdir=/b 0 0\n"
        "proc /proc proc rw 0 0\n"
        "tmpfs /dev tmpfs rw 0 0\n"
        "/dev/vda1 /etc/hosts ext4 rw 0 0\n"
        "/dev/vda1 /etc/resolv.conf ext4 rw 0 0\n"));
    EXPECT_EQ(mount_points(container), (std::vector<std::string>{"/", "/etc/hosts"}));
}

TEST(Mounts, PseudoTypes) {
    for (const char *type : {"proc", "sysfs", "tmpfs", "devtmpfs", "squashfs", "cgroup", "cgroup2",
                             "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "pstore",
                             "bpf", "autofs", "fusectl", "configfs", "hugetlbfs", "nsfs", "ramfs",
                             "binfmt_misc", "efivarfs", "nfs", "nfs4", "cifs", "fuse.lxcfs",
                             "fuse"}) {
        EXPECT_TRUE(is_pseudo_filesystem({"x", "/x", type})) << type;
    }
    for (const char *type : {"ext4", "xfs", "btrfs", "zfs", "vfat", "fuseblk", "f2fs"}) {
        EXPECT_FALSE(is_pseudo_filesystem({"/dev/x", "/x", type})) << type;
    }
}

TEST(Mounts, ATableThatCannotBeReadIsAnErrorNamingIt) {
    try {
        read_mount_table("/nonexistent/mounts");
        FAIL() << "no error";
    } catch (const trace_ctl::FileError &e) {
        EXPECT_STREQ(e.what(), "cannot read /nonexistent/mounts: No such file or directory");
    }
}
