#!/usr/bin/env bash
# pppd start to IPV6CP up, with three connect programs on the same simulated modem in the
# same guest run: atchat's native language (examples/hayes-dial.atc), `atchat chat` and the
# real chat(8) (/usr/sbin/chat, Debian's ppp) on the same chat script (tests/pppd/dial.chat).
#
#   bash benches/pppd.sh [ROUNDS]        (default 3; run as root, like tests/pppd)
#
# It boots the tests/pppd guest once (tests/pppd/run.sh --bench ROUNDS); each round runs the
# link scenario with each program in turn, interleaved. From phases.tsv: the time from
# pppd's start to "remote LL address" in its log (IPV6CP up), and the part of it until
# "Serial connection established" (the connect program's run). The scenario polls the log
# every 0.1 s, so each figure is good to about 0.1 s. A benchmark, not a test: it prints
# figures and fails only when a link did not come up.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ROUNDS=${1:-3}
[ -x /usr/sbin/chat ] || { echo "benches/pppd.sh: needs /usr/sbin/chat (Debian's ppp)" >&2; exit 2; }
(cd "$REPO" && cargo build --release --locked --quiet)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/atchat-pppd-bench.XXXXXX")
# The guest's speed is the host's: note how busy the host was around the run.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
set +e
bash "$REPO/tests/pppd/run.sh" --out "$OUT" --bench "$ROUNDS" --timeout $((120 + ROUNDS * 90))
rc=$?
set -e
[ -s "$OUT/phases.tsv" ] || { echo "benches/pppd.sh: no phases (run.sh exit $rc), see $OUT" >&2; exit 2; }
echo
echo "pppd start to IPV6CP up, $ROUNDS rounds (guest: QEMU TCG, 1 vCPU); seconds"
echo "host load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
awk -F'\t' '
    $1 ~ /^bench-/ {
        name = $1; sub(/-[0-9]+$/, "", name); sub(/^bench-/, "", name)
        t[$1, $2] = $3; runs[$1] = name
    }
    END {
        for (r in runs) {
            p = r SUBSEP "pppd-started"
            if (!(p in t) || !((r, "ipv6cp-up") in t)) { failed[runs[r]]++; continue }
            up = t[r, "ipv6cp-up"] - t[p]; conn = t[r, "connected"] - t[p]
            n[runs[r]]++; sum[runs[r]] += up; csum[runs[r]] += conn
            if (!(runs[r] in clo) || conn < clo[runs[r]]) clo[runs[r]] = conn
            if (!(runs[r] in lo) || up < lo[runs[r]]) lo[runs[r]] = up
            if (!(runs[r] in hi) || up > hi[runs[r]]) hi[runs[r]] = up
        }
        printf "%-12s %5s %8s %8s %8s %14s %13s %7s\n", "program", "runs", "mean", "min", "max", "connect(mean)", "connect(min)", "failed"
        split("atchat-run atchat-chat chat8", order, " ")
        for (i = 1; i <= 3; i++) {
            k = order[i]
            if (n[k] == 0) { printf "%-12s %5d %8s %8s %8s %14s %13s %7d\n", k, 0, "-", "-", "-", "-", "-", failed[k]; continue }
            printf "%-12s %5d %8.2f %8.2f %8.2f %14.2f %13.2f %7d\n", k, n[k], sum[k] / n[k], lo[k], hi[k], csum[k] / n[k], clo[k], failed[k]
        }
    }' "$OUT/phases.tsv"
echo "(results: $OUT)"
[ "$rc" = 0 ] || { echo "benches/pppd.sh: some link failed (run.sh exit $rc): $OUT/results.tsv" >&2; exit 1; }
