#!/bin/sh
# PID 1 of the test guest, started by the initramfs (initramfs-init) after switch_root: the
# host's / over 9p is the root here. The guest has its own kernel, with PPP. This script
# mounts what the scenarios need (all guest-local: nothing below changes the host), runs
# scenarios.sh, writes the markers the host checks, and powers off. The kernel command line
# gives $pppdtest_out, the results directory on the host (shared as mount tag "results");
# $pppdtest_out/guest.env says the rest (written by run.sh).
mount -t proc proc /proc          # first: until now /proc is the host's, seen over 9p
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666,mode=0620 devpts /dev/pts
mount -t tmpfs tmpfs /run          # pppd's pid files, /run/netns, the scenarios' scratch
mkdir -p /run/lock /run/tmp        # /var/lock is /run/lock on Debian
mount -t tmpfs tmpfs /var/lock 2>/dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/run/tmp
export HOME=/run/tmp PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8

OUT=$pppdtest_out
poweroff() {
    sync
    /usr/bin/busybox poweroff -f 2>/dev/null
    echo o > /proc/sysrq-trigger
    sleep 30
}
# The results directory has its own 9p share, uncached: what the guest writes there is on
# the host at once (the root is mounted with cache=loose).
[ -n "$OUT" ] && mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results "$OUT"
if [ -z "$OUT" ] || ! [ -f "$OUT/guest.env" ]; then
    echo "pppdtest-guest: FATAL: no results directory (pppdtest_out=$OUT)"
    poweroff
fi
set -a
. "$OUT/guest.env"
set +a
echo "boot	$(cut -d' ' -f1 /proc/uptime)" > "$OUT/guest.tsv"
echo "pppdtest-guest: started after $(cut -d' ' -f1 /proc/uptime) s of guest uptime"
bash "$HERE/scenarios.sh" > "$OUT/scenarios.log" 2>&1
echo "scenarios_exit	$?" >> "$OUT/guest.tsv"
echo "done	$(cut -d' ' -f1 /proc/uptime)" >> "$OUT/guest.tsv"
echo "pppdtest-guest: done after $(cut -d' ' -f1 /proc/uptime) s"
poweroff
