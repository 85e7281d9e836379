#!/usr/bin/env bash
# Runs the fuzzers: builds them, seeds the corpus, then each target for SECONDS.
#
#   fuzz/run.sh SECONDS [TARGET...]            smoke run (CI): stops at the first crash,
#                                              prints the reproducer's path, exits 1
#   FUZZ_CAMPAIGN=1 fuzz/run.sh SECONDS ...    campaign: keeps going after a crash (libFuzzer's
#                                              fork mode), every crash saved under artifacts/
#
# cargo-fuzz drives libFuzzer. Its default AddressSanitizer needs a nightly compiler; atchat
# has no unsafe code of its own to check, so the targets are built with `-s none`, which
# works on the stable toolchain: coverage instrumentation without a sanitizer. A panic, an
# abort, a stack overflow, a run past TIMEOUT seconds or RSS past 2 GB is a crash.
# Logs go to fuzz/logs/TARGET.log (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(check bytecode chat import matcher sim)

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2 >/dev/null
fi

# The binary compiles scripts into .atcb seeds.
(cd .. && cargo build --release --locked --bin atchat 2>&1 | tail -n 1)
python3 seed-corpus.py ../target/release/atchat >/dev/null
cargo fuzz build -O -s none 2>&1 | tail -n 1

# Per target: the longest input worth trying (a script of a few kilobytes reaches every
# construct; the bigger the input, the fewer executions a second).
max_len() {
    case $1 in
        check | bytecode) echo 8192 ;;
        chat | import) echo 4096 ;;
        *) echo 2048 ;;
    esac
}

# "N runs, cov: EDGES ft: FEATURES" from a log, in either mode.
summary() {
    local runs cov
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$1" | grep -Eo '[0-9]+$' | tail -n 1)
    cov=$(grep -Eo '^#[0-9]+:?[[:space:]]+([A-Z]+[[:space:]]+)?cov: [0-9]+ ft: [0-9]+' "$1" | tail -n 1)
    [ -n "$runs" ] || runs=$(echo "$cov" | grep -Eo '^#[0-9]+' | tr -d '#')
    echo "$runs runs, $(echo "$cov" | grep -Eo 'cov: [0-9]+ ft: [0-9]+')"
}

mkdir -p logs
status=0
passed=0
failed=0
for target in "${targets[@]}"; do
    mkdir -p "artifacts/$target"
    log="logs/$target.log"
    flags=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="artifacts/$target/" -print_final_stats=1)
    if [ "${FUZZ_CAMPAIGN:-}" = 1 ]; then
        flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    # Fuzzers get no stdin: nothing they run may wait for a terminal.
    if cargo fuzz run -O -s none "$target" "corpus/$target" -- "${flags[@]}" </dev/null >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "fuzz $target: $(summary "$log") in ${seconds}s, no crash"
    else
        status=1
        failed=$((failed + 1))
        artifact=$(grep -Eo "artifacts/$target/[a-z]+-[0-9a-f]+" "$log" | tail -n 1 || true)
        if [ -n "$artifact" ]; then
            echo "fuzz $target: CRASH; reproducer: fuzz/$artifact"
        else
            echo "fuzz $target: FAILED without a reproducer (a build error?)"
            tail -n 20 "$log"
        fi
        grep -E -A12 "panicked|ERROR: libFuzzer|stack overflow" "$log" | head -n 30
        echo "  (full log: fuzz/$log; rerun: cd fuzz && cargo fuzz run -O -s none $target ARTIFACT)"
    fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
