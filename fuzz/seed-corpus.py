#!/usr/bin/env python3
"""Builds the fuzzers' seed corpus in fuzz/corpus/<target>/ from what the repository ships:
scripts (tests/data, stdlib, examples), chat scripts (tests/data/chat corpora), simulator
cases (tests/data/sim), and a few hand-made inputs of the matcher target.

Usage: fuzz/seed-corpus.py [ATCHAT_BINARY]   (the binary compiles scripts to .atcb seeds;
default target/release/atchat). Existing corpus files are kept: the fuzzers add to them.
"""

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"
# Larger inputs mostly cost the fuzzer speed; the mutator grows inputs when that pays.
MAX_SEED = 16 * 1024


def add(target, data):
    if not data or len(data) > MAX_SEED:
        return False
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return True


def scripts():
    for folder in ["tests/data", "stdlib", "examples"]:
        yield from sorted((ROOT / folder).rglob("*.atc"))


def chat_scripts():
    yield from sorted((ROOT / "tests/data/chat").rglob("*.chat"))


def unescape(text):
    """The escapes of tests/data/sim cases: \\r \\n \\t \\\\ \\xNN."""
    out = bytearray()
    i = 0
    raw = text.encode()
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = chr(raw[i + 1])
            if n == "x" and i + 3 < len(raw):
                out.append(int(raw[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", "e": b"\x1b"}.get(n, n.encode())
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def sim_seed(case):
    """A tests/data/sim case as the `sim` target's input (see fuzz/src/targets.rs): a profile
    byte, the scenario, then operations: 0 LEN BYTES (bytes from the DTE), 4 N (N × 50 ms),
    5 (jump to the modem's next timer)."""
    gsm = case.parent.name == "gsm"
    scenario = []
    ops = bytearray()
    for line in case.read_text(errors="replace").splitlines():
        if line.startswith("scenario "):
            scenario.append(line[len("scenario ") :])
        elif line.startswith("send "):
            data = unescape(line[len("send ") :])
            for i in range(0, len(data), 255):
                chunk = data[i : i + 255]
                ops += bytes([0, len(chunk)]) + chunk
        elif line.startswith("wait "):
            m = re.match(r"wait ([0-9.]+)(ms|s)", line)
            if m:
                ms = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
                steps = int(ms / 50)
                while steps > 0:
                    ops += bytes([4, min(steps, 255)])
                    steps -= 255
            ops += bytes([5])
    text = "\n".join(scenario).encode()[:255]
    return bytes([1 if gsm else 0, len(text)]) + text + bytes(ops)


def matcher_seeds():
    """A few inputs of the `matcher` target (see fuzz/src/matcher.rs): a result code, a
    pattern with captures, a rest-of-line code with a numeric form; then a stream."""
    letter = {c: i for i, c in enumerate(b"AB0:\r\n K")}

    def text(t):
        return bytes([len(t)]) + bytes(letter[c] for c in t)

    def stream(t):
        # Each byte followed by a "repeat once" byte (below(8) != 0).
        return b"".join(bytes([letter[c], 1]) for c in t)

    ok = bytes([1, 1]) + text(b"K") + bytes([0b011])  # line start, LineEnd
    capture = bytes([3, 1]) + text(b"A") + bytes([0]) + bytes([1]) + text(b":") + bytes([0])
    rest = bytes([1, 1]) + text(b"B0") + bytes([0b1101, 1, 0])  # RestOfLine, numeric "0"
    yield bytes([3]) + ok + capture + rest + bytes([3, 0, 1, 2, 1, 2, 7]) + stream(b"A K\r\nKA0:K\nB0 A\r0\r")
    yield bytes([1]) + capture + bytes([1, 0, 0, 0, 64]) + stream(b"AAAA:" + b"A" * 40 + b":")


def main():
    atchat = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/release/atchat"
    counts = {}

    def count(target, ok):
        counts[target] = counts.get(target, 0) + int(bool(ok))

    with tempfile.TemporaryDirectory() as tmp:
        for script in scripts():
            data = script.read_bytes()
            count("check", add("check", data))
            out = Path(tmp) / "seed.atcb"
            compiled = subprocess.run(
                [str(atchat), "compile", str(script), "-o", str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if compiled.returncode == 0:
                count("bytecode", add("bytecode", out.read_bytes()))
    for atcb in sorted((ROOT / "tests/data").rglob("*.atcb")):
        count("bytecode", add("bytecode", atcb.read_bytes()))
    for script in chat_scripts():
        data = script.read_bytes()
        count("import", add("import", data))
        # flags: pace; chat -t 5.
        count("chat", add("chat", bytes([8, 5]) + data))
        # flags: echo, verbose, -V, pace, -T 5551234; chat -t 2.
        count("chat", add("chat", bytes([31, 2]) + data))
    for case in sorted((ROOT / "tests/data/sim").rglob("*.case")):
        count("sim", add("sim", sim_seed(case)))
    for seed in matcher_seeds():
        count("matcher", add("matcher", seed))
    for target, n in sorted(counts.items()):
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
