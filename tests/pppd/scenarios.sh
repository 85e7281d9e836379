#!/usr/bin/env bash
# The scenarios of tests/pppd, run inside the test guest by guest.sh: root, the guest's own
# kernel (with PPP), the host's files over 9p, loopback networking only.
#
# Each scenario dials through a modem on a pty with a client pppd whose `connect` program is
# atchat. The "ISP" is a second pppd behind `socat TCP-LISTEN:$ISP_PORT,bind=127.0.0.1`, in
# the network namespace "isp"; the modem's ATD connects to that port. One line per
# scenario goes to $OUT/results.tsv (name, pass|fail, seconds, what failed), phase times to
# $OUT/phases.tsv, and every log to $OUT/<scenario>/.
#
# From guest.env (written by run.sh): OUT, ATCHAT, HERE, REPO, ONLY (names to run; empty:
# all), and BENCH (benches/pppd.sh: instead of the scenarios, BENCH rounds of the same link
# with each connect program: atchat run, atchat chat, the real chat(8)).
set -u
: "${OUT:?}" "${ATCHAT:?}" "${HERE:?}" "${REPO:?}"
ONLY=${ONLY:-}
BENCH=${BENCH:-0}

RESULTS=$OUT/results.tsv
PHASES=$OUT/phases.tsv
SCRATCH=/run/pppdtest
ISP_PORT=5300          # the ISP's "phone line" (TCP, loopback)
DEAD_PORT=5309         # nothing listens here: dialing it gets NO CARRIER
ECHO_PORT=7777         # TCP echo in the ISP's namespace, reached over the PPP link
NUMBER=5551234
PIN=86420135           # the secret param of gsm-link: it must never show in a log
WRONG_PIN=97531864     # gsm-wrong-pin's: no more to be logged than the right one
mkdir -p "$SCRATCH"
printf 'scenario\tresult\tseconds\tdetail\n' > "$RESULTS"
printf 'scenario\tphase\tseconds\n' > "$PHASES"

# The polling below uses builtins only where it can: under TCG a fork and exec costs tens
# of milliseconds of the guest's one vCPU, taken from the programs under test.
log() { local up; read -r up _ < /proc/uptime; echo "[$up] ${S:-setup}: $*"; }
now_us() { echo "${EPOCHREALTIME/./}"; }
# nap SECONDS: sleep without a fork, waiting on a FIFO that nobody writes.
mkfifo "$SCRATCH/never"
exec {NEVER}<> "$SCRATCH/never"
nap() { read -r -t "$1" -u "$NEVER" _ || true; }

# --- the modem -------------------------------------------------------------------------
# start_modem KIND: serve a modem on a new pty, set $PTY. Every command prints the pty path
# on its first line of stdout and keeps serving until killed.
start_modem() {
    local cmd
    case $1 in
        # The simulator dials the ISP's TCP port: a phonebook number (Hayes), or GSM
        # packet data (ATD*99***1#) on a PIN-locked SIM, with a vendor's GSM profile (a
        # Quectel EC25 LTE module: its `+QUSIM: 1` at power-on, its `ATI`).
        link) cmd=("$ATCHAT" sim --pty --phonebook "$NUMBER=tcp:127.0.0.1:$ISP_PORT") ;;
        gsm-link) cmd=("$ATCHAT" sim --profile quectel-ec25 --pin "$PIN" --pty
                       --packet-data "tcp:127.0.0.1:$ISP_PORT") ;;
        # The failures come from the simulator itself.
        busy) cmd=("$ATCHAT" sim --pty --scenario "$HERE/busy.scenario") ;;
        dead) cmd=("$ATCHAT" sim --pty --phonebook "$NUMBER=tcp:127.0.0.1:$DEAD_PORT") ;;
        mute) cmd=("$ATCHAT" sim --pty --scenario "$HERE/mute.scenario") ;;
        *) fail "unknown modem kind $1"; return 1 ;;
    esac
    echo "${cmd[*]}" > "$D/modem.cmd"
    setsid "${cmd[@]}" > "$D/modem.out" 2> "$D/modem.err" &
    PIDS+=($!)
    wait_for 20 "the modem's pty path" has "$D/modem.out" /dev/pts/ || return 1
    read -r PTY < "$D/modem.out"
}

# --- helpers ---------------------------------------------------------------------------
fail() { FAILS+=("$*"); log "FAIL: $*"; }

# wait_for SECONDS WHAT CMD...: poll CMD until it succeeds; a failure after SECONDS.
wait_for() {
    local secs=$1 what=$2
    shift 2
    local deadline=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
    until "$@"; do
        if (( ${EPOCHREALTIME/./} > deadline )); then
            fail "no $what within $secs s"
            return 1
        fi
        nap 0.1
    done
}

phase() { printf '%s\t%s\t%s\n' "$S" "$1" "$(elapsed)" >> "$PHASES"; log "phase $1 at $(elapsed) s"; }
elapsed() { local us=$(( $(now_us) - T0 )); printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000)); }

# has FILE TEXT: TEXT is in FILE (read by the shell itself; the logs are small).
has() { local text=; [ -r "$1" ] && read -r -d '' text < "$1"; [[ $text == *"$2"* ]]; }
# has_line FILE REGEX: a line of FILE matches the extended regular expression.
has_line() {
    local line
    [ -r "$1" ] || return 1
    while IFS= read -r line || [ -n "$line" ]; do
        [[ $line =~ $2 ]] && return 0
    done < "$1"
    return 1
}
# follows FILE TEXT REGEX: a line matching REGEX comes within 6 lines after one with TEXT.
follows() {
    local line n=0
    [ -r "$1" ] || return 1
    while IFS= read -r line; do
        if [[ $line == *"$2"* ]]; then
            n=6
        elif (( n > 0 )); then
            [[ $line =~ $3 ]] && return 0
            n=$((n - 1))
        fi
    done < "$1"
    return 1
}
# iface_of FILE: IFACE := the interface pppd's log names ("Using interface ppp0").
iface_of() {
    local line
    IFACE=
    [ -r "$1" ] || return 1
    while IFS= read -r line; do
        if [[ $line =~ ^Using\ interface\ (ppp[0-9]+) ]]; then
            IFACE=${BASH_REMATCH[1]}
            return 0
        fi
    done < "$1"
    return 1
}
expect_in() { has "$1" "$2" || fail "$(basename "$1") lacks: $2"; }     # FILE TEXT
expect_not_in() { ! has "$1" "$2" || fail "$(basename "$1") contains: $2"; }

# port_listening PORT: a TCP socket of this namespace listens on PORT (/proc/net/tcp: local
# address HEXIP:HEXPORT, state 0A is LISTEN).
port_listening() {
    local hex f
    printf -v hex '%04X' "$1"
    while read -r -a f; do
        [[ ${f[1]} == *":$hex" && ${f[3]} == 0A ]] && return 0
    done < /proc/net/tcp
    return 1
}

# The ISP: one call, then gone. pppd's log: $D/isp-pppd.log.
start_isp() {
    ISP_LOG=$D/isp-pppd.log setsid socat -d -d \
        "TCP-LISTEN:$ISP_PORT,bind=127.0.0.1,reuseaddr" \
        "EXEC:$HERE/isp-pppd.sh,pty,raw,echo=0" 2> "$D/isp-socat.log" &
    PIDS+=($!)
    wait_for 20 "ISP listening on 127.0.0.1:$ISP_PORT" port_listening "$ISP_PORT"
}

# start_client CONNECT [PPPD-OPTION...]: the pppd under test, on the modem's pty; its exit
# status lands in $D/pppd.exit, its pid in $CLIENT. `lcp-restart 1`: socat starts the ISP's
# pppd only when the call arrives, and under TCG it may miss the client's first LCP
# ConfReq; the client then tries again after 1 s instead of pppd's default 3 s.
start_client() {
    local connect=$1
    shift
    printf '%s\n' "$connect" > "$D/connect.cmd"
    (
        setsid -w sh -c 'echo $$ > "$0"; exec "$@"' "$D/pppd.pid" \
            pppd "$PTY" 115200 nodetach noauth local nolock nocrtscts \
            noip +ipv6 ipv6cp-accept-local escape ff lcp-echo-interval 0 lcp-restart 1 \
            debug logfile "$D/pppd.log" ipparam client "$@" connect "$connect" \
            ${DISCONNECT:+disconnect "$DISCONNECT"} \
            > "$D/pppd.out" 2>&1
        echo $? > "$D/pppd.exit"
    ) &
    wait_for 20 "pppd started" test -s "$D/pppd.pid" || return 1
    read -r CLIENT < "$D/pppd.pid"
}

# addr_ready NETNS IFACE ADDR: the IPv6 address is on the interface and usable (not
# tentative); NETNS empty for this namespace.
addr_ready() {
    local out
    out=$(ip ${1:+-n "$1"} -6 addr show dev "$2" 2>/dev/null) || return 1
    [[ $out == *"inet6 $3"[/\ ]* && $out != *tentative* ]]
}

# leftovers: true when processes other than those of setup run; LEFT lists them (pid:args).
leftovers() {
    LEFT=()
    local f p args
    for f in /proc/[0-9]*; do          # builtins only: a fork costs a lot under TCG
        p=${f#/proc/}
        [ -n "${BASE[$p]+x}" ] && continue
        args=()
        mapfile -d '' args 2>/dev/null < "$f/cmdline" || continue
        [ ${#args[@]} -gt 0 ] || continue          # a kernel thread or a zombie
        LEFT+=("$p:${args[*]}")
    done
    [ ${#LEFT[@]} -gt 0 ]
}

# no_stray_connect: once pppd has exited, no `atchat run` or `atchat chat` may be left
# (the modem's `atchat sim` may).
no_stray_connect() {
    leftovers
    local l
    for l in "${LEFT[@]}"; do
        case ${l#*:} in
            "$ATCHAT run "*|"$ATCHAT chat "*) fail "the connect program outlived pppd: $l" ;;
        esac
    done
}

# --- one scenario ----------------------------------------------------------------------
# run NAME FUNCTION ARGS...: run it with a fresh directory, kill what it started, check that
# nothing else was left running, record the result.
run() {
    S=$1
    shift
    if [ -n "$ONLY" ] && [[ " $ONLY " != *" $S "* ]]; then return; fi
    D=$OUT/$S
    rm -rf "$D"
    mkdir -p "$D"
    FAILS=()
    PIDS=()
    PTY=
    CLIENT=
    local syslog_start
    syslog_start=$(stat -c %s "$OUT/syslog" 2>/dev/null || echo 0)
    T0=$(now_us)
    log "=== start"
    "$@"
    for p in ${CLIENT:+"$CLIENT"} "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
    local deadline=$(( $(now_us) + 10000000 ))
    until ! leftovers; do
        (( $(now_us) < deadline )) || break
        nap 0.2
    done
    if leftovers; then
        fail "still running 10 s after SIGTERM: ${LEFT[*]}"
        for p in "${LEFT[@]}"; do kill -KILL "${p%%:*}" 2>/dev/null; done
    fi
    tail -c +$((syslog_start + 1)) "$OUT/syslog" > "$D/syslog" 2>/dev/null
    [ -z "${AFTER:-}" ] || "$AFTER"
    local result=pass detail=ok
    if [ ${#FAILS[@]} -gt 0 ]; then
        result=fail
        detail=$(printf '%s | ' "${FAILS[@]}")
        detail=${detail% | }
    fi
    printf '%s\t%s\t%s\t%s\n' "$S" "$result" "$(elapsed)" "${detail//$'\t'/ }" >> "$RESULTS"
    log "=== $result in $(elapsed) s: $detail"
    S=
}

# link CONNECT MODEM-KIND [MESSAGE]: the connect program succeeds (and says MESSAGE in pppd's
# log), the link comes up (LCP, IPV6CP), data crosses it both ways, and SIGTERM to pppd ends
# it cleanly on both sides.
link() {
    local connect=$1 kind=$2 message=${3:-}
    start_isp || return
    phase isp-listening
    start_modem "$kind" || return
    phase modem-ready
    start_client "$connect" || return
    phase pppd-started
    wait_for 60 "\"Connect script\"/serial connection" has "$D/pppd.log" "Serial connection established" || return
    phase connected
    expect_in "$D/pppd.log" "$(printf 'Script %s finished (pid ' "$connect")"
    has_line "$D/pppd.log" '^Script .* finished \(pid [0-9]+\), status = 0x0$' ||
        fail "pppd.log lacks the connect program's exit status 0"
    [ -z "$message" ] || expect_in "$D/pppd.log" "$message"
    wait_for 30 "LCP up (IPV6CP ConfReq sent)" has "$D/pppd.log" "sent [IPV6CP ConfReq" || return
    phase lcp-up
    wait_for 30 "IPV6CP up" has "$D/pppd.log" "remote LL address" || return
    phase ipv6cp-up
    # The link is the one to our ISP: each side has the address the ISP's pppd hands out.
    expect_in "$D/pppd.log" "remote LL address fe80::0000:0000:0000:0001"
    wait_for 10 "IPV6CP up at the ISP" has "$D/isp-pppd.log" "remote LL address fe80::0000:0000:0000:0002" || return
    local ifc isp_ifc
    iface_of "$D/pppd.log" && ifc=$IFACE
    iface_of "$D/isp-pppd.log" && isp_ifc=$IFACE
    [ -n "$ifc" ] && [ -n "$isp_ifc" ] || { fail "no interface name in the pppd logs"; return; }
    wait_for 20 "fe80::2 usable on $ifc" addr_ready "" "$ifc" fe80::2 || return
    wait_for 20 "fe80::1 usable on the ISP's $isp_ifc" addr_ready isp "$isp_ifc" fe80::1 || return
    phase addresses-ready
    # Data: 64 KiB to the ISP's echo server and back, byte for byte.
    local tx0 tx1 rx
    read -r tx0 < "/sys/class/net/$ifc/statistics/tx_bytes"
    timeout 60 socat -t 10 - "TCP6:[fe80::1%$ifc]:$ECHO_PORT,connect-timeout=10" \
        < "$SCRATCH/payload" > "$D/echoed" 2> "$D/echo.err"
    if ! cmp -s "$SCRATCH/payload" "$D/echoed"; then
        fail "the echo over $ifc came back different: $(stat -c %s "$D/echoed") of 65536 bytes ($(head -c 300 "$D/echo.err"))"
    fi
    read -r tx1 < "/sys/class/net/$ifc/statistics/tx_bytes"
    read -r rx < "/sys/class/net/$ifc/statistics/rx_bytes"
    local tx=$((tx1 - tx0))
    echo "$ifc tx_bytes during the echo: $tx; rx_bytes total: $rx" > "$D/counters"
    (( tx >= 65536 && rx >= 65536 )) || fail "the ppp counters do not show the data: tx $tx, rx $rx"
    phase echo-done
    # Hang up the way a user does: SIGTERM to pppd.
    kill -TERM "$CLIENT"
    wait_for 20 "pppd exit after SIGTERM" test -s "$D/pppd.exit" || return
    phase terminated
    no_stray_connect
    local rc
    read -r rc < "$D/pppd.exit"
    [ "$rc" = 5 ] || fail "pppd exit status $rc after SIGTERM, expected 5 (terminated by signal)"
    expect_in "$D/pppd.log" "Terminating on signal 15"
    expect_in "$D/pppd.log" "Connection terminated"
    expect_not_in "$D/pppd.log" "Connect script failed"
    wait_for 10 "the ISP's pppd to see the hang-up" has "$D/isp-pppd.log" "Connection terminated"
    expect_in "$D/isp-pppd.log" "LCP terminated by peer"
    phase isp-done
}

# connect_fails MODEM-KIND CONNECT STATUS MESSAGE: pppd's connect program fails; pppd says so
# and exits 8, and its log has atchat's message and exit status (pppd's `debug` logs the
# status in hex: "Script CONNECT finished (pid N), status = 0xSTATUS").
connect_fails() {
    local kind=$1 connect=$2 status=$3 message=$4
    start_modem "$kind" || return
    phase modem-ready
    start_client "$connect" || return
    phase pppd-started
    wait_for 60 "pppd exit" test -s "$D/pppd.exit" || return
    phase pppd-exited
    no_stray_connect
    local rc
    read -r rc < "$D/pppd.exit"
    [ "$rc" = 8 ] || fail "pppd exit status $rc, expected 8 (the connect script failed)"
    expect_in "$D/pppd.log" "Connect script failed"
    expect_in "$D/pppd.log" "$(printf 'Script %s finished (pid ' "$connect")"
    has_line "$D/pppd.log" "^Script .* finished \\(pid [0-9]+\\), status = $(printf '0x%x' "$status")\$" ||
        fail "pppd.log lacks the connect program's exit status $status ($(printf '0x%x' "$status"))"
    expect_in "$D/pppd.log" "$message"
    # It failed before PPP: no link was ever up.
    expect_not_in "$D/pppd.log" "Serial connection established"
    expect_not_in "$D/pppd.log" "sent [LCP"
}

# After gsm-link: atchat's -v transcript in pppd's log shows the SIM asking for its PIN,
# the PIN sent masked and accepted, and the packet-data dial answered by CONNECT; the
# secret PIN is nowhere in pppd's log nor in syslog. The PIN comes from a file into the
# environment (ATCHAT_pin): pppd's `debug` logs the connect command line itself, so a
# `-D pin=...` there would be in the log whatever atchat does.
check_gsm() {
    expect_in "$D/pppd.log" '< AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n'
    expect_in "$D/pppd.log" '> AT+CPIN=\"***\"'
    follows "$D/pppd.log" 'AT+CPIN=\"***\"' '^ +[0-9.]+ = stdlib/gsm\.atc:[0-9]+: matched OK$' ||
        fail "pppd.log lacks the OK to AT+CPIN"
    expect_in "$D/pppd.log" '> ATD*99***1#'
    expect_in "$D/pppd.log" 'matched "CONNECT {rate}"'
    check_secret "$PIN"
}

# check_secret PIN: PIN is in neither pppd's log, nor its output, nor syslog.
check_secret() {
    expect_not_in "$D/pppd.log" "$1"
    expect_not_in "$D/pppd.out" "$1"
    expect_not_in "$D/syslog" "$1"
}

# After gsm-wrong-pin: the modem refused the PIN (+CME ERROR: 16, in the -v transcript) and
# the wrong PIN, secret too, is in no log.
check_wrong_pin() {
    expect_in "$D/pppd.log" '> AT+CPIN=\"***\"'
    expect_in "$D/pppd.log" 'matched "+CME ERROR: 16"'
    check_secret "$WRONG_PIN"
}

# After chat-link: `atchat chat -v` logged the conversation to syslog as chat(8) does.
check_chat_syslog() {
    has_line "$D/syslog" "chat\\[[0-9]+\\]: send \\(ATDT$NUMBER\\^M\\)\$" ||
        fail "syslog lacks chat's line: send (ATDT$NUMBER^M)"
    has_line "$D/syslog" 'chat\[[0-9]+\]: CONNECT$' || fail "syslog lacks chat's line: CONNECT"
}

# After run-disconnect: pppd ran the disconnect program after LCP went down; it hung the
# modem up (escape and ATH, or ATH alone when the ISP had already gone), said so in pppd's
# log (-v, say) and in syslog (--syslog), and exited 0.
check_disconnect() {
    has_line "$D/pppd.log" '^Script .*disconnect\.atc.* finished \(pid [0-9]+\), status = 0x0$' ||
        fail "pppd.log lacks the disconnect program's exit status 0"
    expect_in "$D/pppd.log" "> ATH"
    expect_in "$D/pppd.log" "modem on hook"
    has_line "$D/syslog" 'atchat\[[0-9]+\]: modem on hook' ||
        fail "syslog lacks the disconnect program's line (atchat[pid]: modem on hook)"
}

# --- setup, once per boot ----------------------------------------------------------------
setup() {
    local t0
    t0=$(now_us)
    ip link set lo up || fail "lo"
    # No duplicate address detection on the links: IPV6CP already made the interface
    # identifiers unique, and DAD would hold the addresses back for a second or two.
    sysctl -qw net.ipv6.conf.default.accept_dad=0 || fail "sysctl accept_dad"
    modprobe ppp_async || fail "modprobe ppp_async"
    [ -c /dev/ppp ] || fail "no /dev/ppp after modprobe"
    # Hook scripts installed on the host (/etc/ppp/*.d) must not run here.
    for d in /etc/ppp/ip-up.d /etc/ppp/ip-down.d /etc/ppp/ipv6-up.d /etc/ppp/ipv6-down.d \
        /etc/ppp/ip-pre-up.d; do
        [ -d "$d" ] && mount -t tmpfs -o ro tmpfs "$d"
    done
    busybox syslogd -n -O "$OUT/syslog" &
    ip netns add isp || fail "ip netns add isp"
    ip -n isp link set lo up
    ip netns exec isp sysctl -qw net.ipv6.conf.default.accept_dad=0 || fail "isp: sysctl accept_dad"
    ip netns exec isp socat "TCP6-LISTEN:$ECHO_PORT,ipv6only=1,reuseaddr,fork" EXEC:cat &
    wait_for 5 "echo server" ip netns exec isp ss -Hltn "sport = :$ECHO_PORT" >/dev/null
    wait_for 5 "syslogd" test -S /dev/log
    # The data each link echoes.
    head -c 65536 /dev/urandom > "$SCRATCH/payload"
    nap 0.2
    local us=$(( $(now_us) - t0 ))
    printf 'setup\t-\t%d.%03d\n' $((us / 1000000)) $((us % 1000000 / 1000)) >> "$PHASES"
    declare -gA BASE=()
    local f
    for f in /proc/[0-9]*; do BASE[${f#/proc/}]=1; done
}

S=setup
FAILS=()
setup
if [ ${#FAILS[@]} -gt 0 ]; then
    printf 'setup\tfail\t0\t%s\n' "$(printf '%s | ' "${FAILS[@]}")" >> "$RESULTS"
    exit 1
fi
S=

HAYES_DIAL=$REPO/examples/hayes-dial.atc
if [ "$BENCH" -gt 0 ]; then
    # Interleaved, so that whatever slows the guest down meanwhile slows all three alike.
    for i in $(seq 1 "$BENCH"); do
        run "bench-atchat-run-$i" link \
            "$ATCHAT run $HAYES_DIAL --port - -D number=$NUMBER" link
        run "bench-atchat-chat-$i" link "$ATCHAT chat -v -f $HERE/dial.chat -T $NUMBER" link
        run "bench-chat8-$i" link "/usr/sbin/chat -v -f $HERE/dial.chat -T $NUMBER" link
    done
    exit 0
fi
GPRS=$REPO/examples/gprs-ppp.atc
DIAL_ONCE=$HERE/dial-once.atc
CHAT="$ATCHAT chat -v -s -f $HERE/dial.chat -T $NUMBER"

# (i), (ii): the link, with both front ends; GSM with a secret PIN (iv).
run run-link link "$ATCHAT run $HAYES_DIAL --port - -D number=$NUMBER" link \
    "connected at 115200 bps"
AFTER=check_chat_syslog run chat-link link "$ATCHAT chat -v -f $HERE/dial.chat -T $NUMBER" link
DISCONNECT="$ATCHAT run $HERE/disconnect.atc --port - -v --syslog" AFTER=check_disconnect \
    run run-disconnect link "$ATCHAT run $HAYES_DIAL --port - -D number=$NUMBER" link
echo "$PIN" > "$SCRATCH/sim-pin"
AFTER=check_gsm run gsm-link link \
    "ATCHAT_pin=\$(cat $SCRATCH/sim-pin) $ATCHAT run $GPRS --port - -v -D apn=internet" gsm-link \
    "CONNECT 115200: hand the line to pppd"
# (iii): failures as pppd sees them.
run run-busy connect_fails busy "$ATCHAT run $DIAL_ONCE --port - -D number=$NUMBER" 11 "$NUMBER is busy"
run run-no-carrier connect_fails dead "$ATCHAT run $DIAL_ONCE --port - -D number=$NUMBER" 7 "no carrier from $NUMBER"
run run-timeout connect_fails mute "$ATCHAT run $HAYES_DIAL --port - -D number=$NUMBER" 3 "timed out after 5s waiting for the answer to"
echo "$WRONG_PIN" > "$SCRATCH/wrong-pin"
AFTER=check_wrong_pin run gsm-wrong-pin connect_fails gsm-link \
    "ATCHAT_pin=\$(cat $SCRATCH/wrong-pin) $ATCHAT run $GPRS --port - -v -D apn=internet" 13 \
    "wrong PIN (+CME ERROR: 16): check it before the SIM blocks"
run chat-busy connect_fails busy "$CHAT" 4 "Failed (BUSY)"
run chat-no-carrier connect_fails dead "$CHAT" 5 "Failed (NO CARRIER)"
run chat-timeout connect_fails mute "$CHAT" 3 "Failed"
exit 0
