#!/usr/bin/env bash
# Real PPP links with atchat as pppd's connect program, in a QEMU guest.
#
#   tests/pppd/run.sh [--atchat BIN] [--out DIR] [--cache DIR] [--timeout SECS]
#                     [--only "NAME ..."] [--accel tcg|kvm] [--cpus N]
#                     [--boot-timeout SECS] [--no-install] [--bench ROUNDS]
#
# The host kernel has no PPP, so the scenarios run in a guest: QEMU (TCG by default) boots
# Debian's linux-image-amd64 kernel with a tiny busybox initramfs, which mounts the host's /
# read-only over virtio-9p and runs tests/pppd/guest.sh, then scenarios.sh. The guest writes
# its results into --out, its one writable share, and powers off. --timeout bounds the whole
# run (default 600 s), --boot-timeout the time until the guest's script starts (120 s).
#
# Installs what it needs with apt-get when missing (qemu-system-x86, linux-image-amd64,
# busybox-static, ppp, socat, iproute2); --no-install only checks. Builds the kernel image
# and initramfs into --cache (default ~/.cache/atchat-pppd), never into the repository.
#
# Results in --out (default: a new directory under ${TMPDIR:-/tmp}): results.tsv (one line
# per scenario: name, pass|fail, seconds, what failed), phases.tsv, guest.tsv (guest uptime
# when the scenarios started and ended), host.tsv (wall times), console.log (the guest's
# serial console), scenarios.log, and one directory of logs per scenario.
#
# --bench ROUNDS: instead of the scenarios, ROUNDS rounds of the same link with each connect
# program (benches/pppd.sh reads the phases).
#
# Exit 0: every scenario passed. 1: a scenario failed. 2: the guest could not be started or
# did not finish (the reason and the console's tail go to stderr). Never 0 by default.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ATCHAT=$REPO/target/release/atchat
OUT=
CACHE=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/atchat-pppd
TIMEOUT=600
BOOT_TIMEOUT=120
cpus=
accel=tcg     # /dev/kvm may exist and still fail (nested, AMX hosts): KVM only when asked
ONLY=
INSTALL=1
BENCH=0
while [ $# -gt 0 ]; do
    case $1 in
        --atchat) ATCHAT=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --cache) CACHE=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --accel) accel=$2; shift 2 ;;
        --cpus) cpus=$2; shift 2 ;;
        --boot-timeout) BOOT_TIMEOUT=$2; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        --bench) BENCH=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() {
    echo "tests/pppd/run.sh: FATAL: $*" >&2
    exit 2
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- what the guest needs, on the host ------------------------------------------------
newest_kernel() {
    # The newest installed kernel with PPP and 9p as modules (not the -cloud flavour).
    local k best=
    for k in $(ls /lib/modules 2>/dev/null | sort -V); do
        case $k in *cloud*) continue ;; esac
        [ -r "/boot/vmlinuz-$k" ] || continue
        ls "/lib/modules/$k/kernel/drivers/net/ppp/ppp_async.ko"* >/dev/null 2>&1 || continue
        ls "/lib/modules/$k/kernel/fs/9p/9p.ko"* >/dev/null 2>&1 || continue
        best=$k
    done
    echo "$best"
}
BUSYBOX=
find_busybox() {
    # busybox-static's binary (the initramfs has no libc); `busybox` would be dynamic.
    [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] ||
        return 1
    local b
    for b in /bin/busybox /usr/bin/busybox; do
        if [ -x "$b" ]; then BUSYBOX=$b; return 0; fi
    done
    return 1
}
missing() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
    [ -n "$(newest_kernel)" ] || need+=(linux-image-amd64)
    find_busybox || need+=(busybox-static)
    [ -x /usr/sbin/pppd ] || need+=(ppp)
    command -v socat >/dev/null 2>&1 || need+=(socat)
    command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1 || need+=(iproute2)
    command -v python3 >/dev/null 2>&1 || need+=(python3)
    echo "${need[*]}"
}
need=$(missing)
if [ -n "$need" ]; then
    [ "$INSTALL" = 1 ] || die "missing Debian packages: $need (run without --no-install, as root)"
    echo "tests/pppd/run.sh: installing $need" >&2
    sudo=
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    # shellcheck disable=SC2086
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends $need; } > /dev/null ||
        die "could not install $need with apt-get (as root, or with passwordless sudo)"
    need=$(missing)
    [ -z "$need" ] || die "still missing after apt-get: $need"
fi
KVER=$(newest_kernel)
find_busybox
[ -x "$ATCHAT" ] || die "no atchat binary at $ATCHAT (cargo build --release, or --atchat BIN)"
ATCHAT=$(cd "$(dirname "$ATCHAT")" && pwd)/$(basename "$ATCHAT")

if [ -z "$OUT" ]; then OUT=$(mktemp -d "${TMPDIR:-/tmp}/atchat-pppd.XXXXXX"); fi
mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)
for p in "$OUT" "$REPO" "$ATCHAT"; do
    case $p in *[[:space:]]*|*,*|*:*) die "paths may not hold spaces, commas or colons: $p" ;; esac
done
# Only a directory this script made (or an empty one) is emptied for the new results.
if [ -n "$(ls -A "$OUT")" ] && ! [ -f "$OUT/.atchat-pppd" ]; then
    die "--out $OUT is not empty and not a results directory of tests/pppd/run.sh"
fi
find "$OUT" -mindepth 1 -maxdepth 1 ! -name .atchat-pppd -exec rm -rf {} +
touch "$OUT/.atchat-pppd"

# --- the guest's kernel and initramfs ---------------------------------------------------
t=$(now)
python3 "$HERE/guest_image.py" --kernel-version "$KVER" --busybox "$BUSYBOX" \
    --dir "$CACHE/$KVER" || die "could not build the guest image (above)"
KERNEL=$(cat "$CACHE/$KVER/kernel")
image_secs=$(since "$t")

{
    printf 'OUT=%q\nATCHAT=%q\nHERE=%q\nREPO=%q\nONLY=%q\nBENCH=%q\n' \
        "$OUT" "$ATCHAT" "$HERE" "$REPO" "$ONLY" "$BENCH"
} > "$OUT/guest.env"

# One vCPU: under TCG a second one made the scenarios slower (more locking, and the host's
# two cores are shared with the rest of `cargo test`).
[ -n "$cpus" ] || cpus=1
security=passthrough            # the guest's root writes files owned by root: needs root here
[ "$(id -u)" = 0 ] || security=none

console_tail() {
    echo "--- qemu output:" >&2
    tail -n 20 "$OUT/qemu.out" >&2
    echo "--- guest console (tail of $OUT/console.log):" >&2
    tail -n 40 "$OUT/console.log" >&2 2>/dev/null || echo "(no console output)" >&2
}
echo "tests/pppd/run.sh: booting $KERNEL ($accel, $cpus CPUs), results in $OUT" >&2
t=$(now)
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
    -nodefaults -no-reboot -display none -accel "$accel" -smp "$cpus" -m 1024 \
    -kernel "$KERNEL" -initrd "$CACHE/$KVER/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet pppdtest_guest=$HERE/guest.sh pppdtest_out=$OUT" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=$security,multidevs=remap,readonly=on" \
    -virtfs "local,path=$OUT,mount_tag=results,security_model=$security" \
    -serial "file:$OUT/console.log" > "$OUT/qemu.out" 2>&1 &
qemu=$!
# The guest must reach guest.sh quickly; a hang at boot fails now, not after --timeout.
started=0
while kill -0 "$qemu" 2>/dev/null; do
    if grep -q 'pppdtest-guest: started' "$OUT/console.log" 2>/dev/null; then started=1; break; fi
    if awk -v a="$t" -v b="$(now)" -v m="$BOOT_TIMEOUT" 'BEGIN { exit !(b - a > m) }'; then
        kill "$qemu" 2>/dev/null
        break
    fi
    sleep 0.2
done
set +e
wait "$qemu"
qemu_rc=$?
set -e
if [ "$started" = 0 ] && ! grep -q 'pppdtest-guest: started' "$OUT/console.log" 2>/dev/null; then
    qemu_secs=$(since "$t")
    console_tail
    die "the guest did not start within $BOOT_TIMEOUT s (QEMU stopped after $qemu_secs s)"
fi
qemu_secs=$(since "$t")

printf 'image\t%s\nqemu\t%s\nqemu_exit\t%s\naccel\t%s\ncpus\t%s\nkernel\t%s\n' \
    "$image_secs" "$qemu_secs" "$qemu_rc" "$accel" "$cpus" "$KVER" > "$OUT/host.tsv"

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
    console_tail
    [ -f "$OUT/scenarios.log" ] && { echo "--- scenarios.log:" >&2; tail -n 30 "$OUT/scenarios.log" >&2; }
    die "the guest did not finish within $TIMEOUT s (results so far: $OUT/results.tsv)"
fi
if ! grep -q 'pppdtest-guest: started' "$OUT/console.log" 2>/dev/null; then
    console_tail
    die "the guest did not start (qemu exit status $qemu_rc)"
fi
if ! grep -q '^done' "$OUT/guest.tsv" 2>/dev/null || ! [ -s "$OUT/results.tsv" ]; then
    console_tail
    die "the guest started but did not finish its scenarios (qemu exit status $qemu_rc)"
fi

boot=$(awk -F'\t' '$1 == "boot" { print $2 }' "$OUT/guest.tsv")
done_at=$(awk -F'\t' '$1 == "done" { print $2 }' "$OUT/guest.tsv")
printf 'guest_boot\t%s\nguest_done\t%s\n' "$boot" "$done_at" >> "$OUT/host.tsv"
{
    echo "tests/pppd: guest booted in $boot s; scenarios done at $done_at s of guest uptime;" \
        "qemu ran $qemu_secs s; image $image_secs s"
    column -t -s $'\t' "$OUT/results.tsv" 2>/dev/null || cat "$OUT/results.tsv"
} >&2
if awk -F'\t' 'NR > 1 && $2 != "pass" { bad = 1 } END { exit !bad }' "$OUT/results.tsv"; then
    exit 1
fi
[ "$(awk 'END { print NR }' "$OUT/results.tsv")" -gt 1 ] || die "no scenario ran"
exit 0
