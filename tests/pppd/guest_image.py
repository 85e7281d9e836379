#!/usr/bin/env python3
"""Build what the test guest boots: a kernel image QEMU loads fast, and a tiny initramfs.

    guest_image.py --kernel-version 6.1.0-57-amd64 --busybox /bin/busybox --dir CACHE

Writes into CACHE (never into the repository):
  vmlinux         the uncompressed kernel from /boot/vmlinuz-VERSION. QEMU boots it through
                  its PVH entry point, skipping the decompression that takes seconds under
                  TCG. Kept while /boot/vmlinuz-VERSION is unchanged. If it cannot be
                  extracted, CACHE/kernel names /boot/vmlinuz-VERSION instead.
  initramfs.cpio  busybox-static, the virtio and 9p modules of that kernel (decompressed),
                  and tests/pppd/initramfs-init as /init. Rebuilt each time (well under 1 s).
  kernel          one line: the path to give to qemu -kernel.
Prints nothing on success; exits non-zero with a message when something is missing.
"""
import argparse
import lzma
import os
import shutil
import subprocess
import sys
import zlib

# Load order: each module after what it needs.
MODULES = ["virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
           "virtio_pci", "netfs", "fscache", "9pnet", "9pnet_virtio", "9p"]
APPLETS = ["sh", "mount", "umount", "insmod", "mkdir", "cat", "cut", "echo", "sleep",
           "switch_root"]


def die(msg):
    sys.exit("guest_image.py: " + msg)


def find_modules(version):
    root = "/lib/modules/%s/kernel" % version
    if not os.path.isdir(root):
        die("no %s: is linux-image-amd64 installed?" % root)
    found = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            for ext in (".ko", ".ko.xz", ".ko.zst", ".ko.gz"):
                if f.endswith(ext):
                    found.setdefault(f[: -len(ext)].replace("-", "_"), os.path.join(dirpath, f))
    missing = [m for m in MODULES if m.replace("-", "_") not in found]
    if missing:
        die("kernel %s lacks the modules %s (the -cloud flavour has no 9p: install "
            "linux-image-amd64)" % (version, ", ".join(missing)))
    return [(m, found[m.replace("-", "_")]) for m in MODULES]


def read_module(path):
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if path.endswith(".zst"):
        if not shutil.which("zstd"):
            die("%s is zstd-compressed and zstd is not installed" % path)
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return data


class Cpio:
    """The newc format the kernel unpacks as initramfs."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def add(self, name, mode, data=b""):
        name = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0]
        self.ino += 1
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields) + name
        self.out += b"\0" * (-(110 + len(name)) % 4)
        self.out += data + b"\0" * (-len(data) % 4)

    def dir(self, name):
        self.add(name, 0o040755)

    def file(self, name, data, mode=0o644):
        self.add(name, 0o100000 | mode, data)

    def symlink(self, name, target):
        self.add(name, 0o120777, target.encode())

    def finish(self):
        self.add("TRAILER!!!", 0)
        return bytes(self.out)


def extract_vmlinux(vmlinuz, dest):
    """The ELF kernel inside a bzImage compressed with xz (Debian's choice); None if not."""
    data = open(vmlinuz, "rb").read()
    at = data.find(b"\xfd7zXZ\x00")
    if at < 0:
        return None
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
    except lzma.LZMAError:
        return None
    if elf[:4] != b"\x7fELF":
        return None
    tmp = dest + ".tmp"
    open(tmp, "wb").write(elf)
    os.replace(tmp, dest)
    return dest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel-version", required=True)
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--init", default=os.path.join(os.path.dirname(__file__), "initramfs-init"))
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    vmlinuz = "/boot/vmlinuz-" + a.kernel_version
    if not os.access(vmlinuz, os.R_OK):
        die("cannot read %s" % vmlinuz)
    st = os.stat(vmlinuz)
    stamp = "%s %d %d\n" % (vmlinuz, st.st_size, int(st.st_mtime))
    vmlinux = os.path.join(a.dir, "vmlinux")
    stamp_file = vmlinux + ".stamp"
    kernel = vmlinuz
    if os.path.exists(vmlinux) and os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        kernel = vmlinux
    elif extract_vmlinux(vmlinuz, vmlinux):
        open(stamp_file, "w").write(stamp)
        kernel = vmlinux
    open(os.path.join(a.dir, "kernel"), "w").write(kernel + "\n")

    cpio = Cpio()
    for d in ["bin", "dev", "proc", "sys", "newroot", "modules"]:
        cpio.dir(d)
    cpio.file("bin/busybox", open(a.busybox, "rb").read(), 0o755)
    for applet in APPLETS:
        cpio.symlink("bin/" + applet, "busybox")
    order = []
    for name, path in find_modules(a.kernel_version):
        cpio.file("modules/%s.ko" % name, read_module(path))
        order.append(name)
    cpio.file("modules.order", ("\n".join(order) + "\n").encode())
    cpio.file("init", open(a.init, "rb").read(), 0o755)
    out = os.path.join(a.dir, "initramfs.cpio")
    open(out + ".tmp", "wb").write(cpio.finish())
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
