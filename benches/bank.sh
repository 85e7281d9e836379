#!/usr/bin/env bash
# A bank of sessions in one process (docs/bank.md), measured; a benchmark, not a test.
#
#   bash benches/bank.sh [SESSIONS] [PTYS] [IDLE_SECONDS]     (defaults 1000 64 20)
#
# 1. SESSIONS concurrent sessions of examples/hayes-dial.atc on in-process simulated modems
#    (`sim:hayes`, the real clock), against one session run the same way: wall time, peak
#    RSS (/usr/bin/time -v) and CPU (user+sys); RSS and CPU per session are the differences
#    divided by SESSIONS-1.
# 2. Idle: SESSIONS sessions that each wait IDLE_SECONDS for a reply that never comes; CPU
#    (utime+stime from /proc/PID/stat) sampled after the sessions started and again just
#    before the wait ends, so start-up is not counted: CPU per session per minute of waiting.
#    While they wait, /proc/PID/smaps says where the memory is: the threads' stacks (the
#    256 KiB anonymous mappings, src/bank/mod.rs STACK: their touched pages), the malloc
#    heap and arenas (the other anonymous memory), and the binary and libraries (files).
# 3. PTYS sessions on ptys against as many `atchat sim --pty` processes, against one session
#    run the same way: wall time, peak RSS of the atchat process alone (the sims are other
#    processes) and per session.
#
# The load average is printed with each figure: the machine is shared.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
N=${1:-1000}
P=${2:-64}
IDLE=${3:-20}
(cd "$REPO" && cargo build --release --locked --quiet)
ATCHAT="$REPO/target/release/atchat"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/atchat-bank-bench.XXXXXX")
SIMS=()
cleanup() { for pid in "${SIMS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
clk=$(getconf CLK_TCK)

# One line per session: every session dials its own number.
ports() { for i in $(seq 1 "$1"); do printf 'sim:hayes number=555%04d\n' "$i"; done; }

# Runs a bank from a ports file; prints "wall_s maxrss_kb cpu_s exit".
measure() {
    /usr/bin/time -f '%e %M %U %S %x' -o "$TMP/time" \
        "$ATCHAT" run "$REPO/examples/hayes-dial.atc" --ports "$1" >/dev/null 2>"$TMP/stderr" || true
    # A failing run puts "Command exited with non-zero status N" first: the figures are last.
    read -r wall rss user sys code < <(tail -1 "$TMP/time")
    echo "$wall $rss $(echo "$user + $sys" | bc -l) $code"
}

echo "== $N sessions of examples/hayes-dial.atc on sim:hayes (real clock), one process"
ports 1 > "$TMP/one.ports"
ports "$N" > "$TMP/many.ports"
read -r w1 r1 c1 x1 <<< "$(measure "$TMP/one.ports")"
echo "1 session:    wall ${w1} s, peak RSS ${r1} KB, CPU ${c1} s, exit ${x1}   (load $(load))"
read -r wn rn cn xn <<< "$(measure "$TMP/many.ports")"
ok=$(grep -c ' ports succeeded' "$TMP/stderr" >/dev/null && tail -1 "$TMP/stderr")
echo "$N sessions: wall ${wn} s, peak RSS ${rn} KB, CPU ${cn} s, exit ${xn}; ${ok}   (load $(load))"
echo "per session:  RSS $(echo "($rn - $r1) / ($N - 1)" | bc -l | xargs printf '%.1f') KB," \
     "CPU $(echo "($cn - $c1) * 1000000 / ($N - 1)" | bc -l | xargs printf '%.0f') µs;" \
     "wall $(echo "$wn / $w1" | bc -l | xargs printf '%.2f')x one session"

echo
echo "== idle: $N sessions waiting ${IDLE} s for a reply that never comes"
printf 'send "AT"\nexpect "NEVER" within %ss\n' "$IDLE" > "$TMP/idle.atc"
for i in $(seq 1 "$N"); do echo "sim:hayes"; done > "$TMP/idle.ports"
"$ATCHAT" run "$TMP/idle.atc" --ports "$TMP/idle.ports" 2>/dev/null &
pid=$!
sleep 3
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(cpu); s0=$(date +%s.%N)
sleep $((IDLE - 5))
t1=$(cpu); s1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
# Each mapping's header line, then its fields; a stack is an unnamed rw-p mapping of 256 KiB.
breakdown=$(awk -v n="$N" '
    /^[0-9a-f]+-[0-9a-f]+ / { perm = $2; name = $6; next }
    /^Size:/ { kind = (name == "" && perm == "rw-p" && $2 == 256) ? "stack" : (name == "" || name == "[heap]") ? "heap" : "file" }
    /^Rss:/ { kb[kind] += $2 }
    END { printf "thread stacks %.1f KB, heap and arenas %.1f KB, the rest (binary, libraries, main thread) %.0f KB in all", kb["stack"] / n, kb["heap"] / n, kb["file"] }
' "/proc/$pid/smaps")
wait "$pid" || true
secs=$(echo "$s1 - $s0" | bc -l)
ticks=$((t1 - t0))
echo "over $(printf '%.1f' "$secs") s of waiting: $ticks ticks of CPU (1/$clk s) for $N sessions," \
     "$(echo "$ticks * 1000 / $clk / $N * 60 / $secs" | bc -l | xargs printf '%.3f') ms CPU per session per minute;" \
     "RSS ${rss} KB with ${threads} threads   (load $(load))"
echo "while waiting, per session: $breakdown"

echo
echo "== $P sessions on ptys against $P \`atchat sim --pty\` processes"
: > "$TMP/pty.ports"
# One sim more, for the single session: each run dials a modem nobody has used yet.
for i in $(seq 0 "$P"); do
    "$ATCHAT" sim --pty --profile hayes > "$TMP/sim$i.out" 2>/dev/null &
    SIMS+=($!)
done
for i in $(seq 0 "$P"); do
    for _ in $(seq 1 100); do [ -s "$TMP/sim$i.out" ] && break; sleep 0.05; done
    printf '%s number=555%04d\n' "$(head -1 "$TMP/sim$i.out")" "$i" >> "$TMP/pty.ports"
done
export ATCHAT_LOCK_DIR="$TMP"
head -1 "$TMP/pty.ports" > "$TMP/pty1.ports"
sed -i 1d "$TMP/pty.ports"
read -r w1 r1 c1 x1 <<< "$(measure "$TMP/pty1.ports")"
echo "1 session:     wall ${w1} s, peak RSS ${r1} KB, CPU ${c1} s, exit ${x1}   (load $(load))"
read -r wp rp cp xp <<< "$(measure "$TMP/pty.ports")"
echo "$P sessions:   wall ${wp} s, peak RSS ${rp} KB, CPU ${cp} s, exit ${xp}; $(tail -1 "$TMP/stderr")   (load $(load))"
echo "per session:  RSS $(echo "($rp - $r1) / ($P - 1)" | bc -l | xargs printf '%.1f') KB," \
     "CPU $(echo "($cp - $c1) * 1000000 / ($P - 1)" | bc -l | xargs printf '%.0f') µs"
