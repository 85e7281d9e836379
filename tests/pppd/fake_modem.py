#!/usr/bin/env python3
"""A small fake modem on a pty whose dial connects to a TCP address (the test "ISP").

    fake_modem.py --dial-to 127.0.0.1:PORT [--pin DIGITS] [--log FILE]

It prints the pty path on the first line of stdout and serves until killed, keeping the pty
slave open so clients may come and go. It stands in for `atchat sim --pty` in the PPP link
scenarios of tests/pppd until the simulator can dial out to a raw TCP address.

Command state (V1 result codes, echo on until ATE0): any `AT` line answers OK, except
  ATD<number>   (Hayes, e.g. ATDT5551234) or ATD*99***1# (GSM packet data): connect to
                --dial-to; CONNECT 115200 then the line is online and bridged to the
                socket. A refused connection answers NO CARRIER. `ATD<n>;` (voice) is OK.
  AT+CPIN?      +CPIN: SIM PIN until the right AT+CPIN="<pin>" (when --pin), else READY
  AT+CPIN="x"   OK, or +CME ERROR: 16 for a wrong PIN
  AT+CREG?      +CREG: 0,1 (registered)
Online: `+++` between one-second guard times gives OK in online command state (ATH hangs
up, ATO goes back online). The far end closing the socket gives NO CARRIER.
Everything received and sent in command state is logged to --log, one line each.
"""
import os
import re
import select
import socket
import sys
import time
import tty

GUARD = 1.0  # s, S12: silence needed before and after +++


def main():
    # No argparse: every import costs under the guest's emulated CPU.
    opts = {"--dial-to": None, "--pin": "", "--log": os.devnull}
    args = sys.argv[1:]
    while args:
        if len(args) < 2 or args[0] not in opts:
            sys.exit(__doc__)
        opts[args[0]] = args[1]
        args = args[2:]
    if not opts["--dial-to"]:
        sys.exit(__doc__)
    host, port = opts["--dial-to"].rsplit(":", 1)
    pin = opts["--pin"]
    log = open(opts["--log"], "a", buffering=1)

    master, slave = os.openpty()
    tty.setraw(slave)  # no line discipline echo before the client sets its own modes
    print(os.ttyname(slave), flush=True)

    def note(what, data):
        log.write("%.3f %s %r\n" % (time.monotonic(), what, data))

    def out(data):
        note("<", data)
        os.write(master, data)

    def result(text):
        out(b"\r\n" + text.encode() + b"\r\n")

    echo = True
    unlocked = not pin
    line = b""
    sock = None          # the call, when one is up
    online = False       # data mode (else command state, possibly with a call up)
    last_rx = time.monotonic()
    plus = b""           # +++ candidate seen after a guard time

    def hang_up():
        nonlocal sock, online
        if sock is not None:
            sock.close()
        sock, online = None, False

    def command(cmd):
        nonlocal echo, unlocked, sock, online
        note("cmd", cmd)
        at = cmd.upper().find("AT")
        if at < 0:
            return
        cmd = cmd[at:]  # characters before the prefix are ignored (V.250)
        u = cmd.upper()
        body = u[2:]
        if body.startswith("D"):
            number = cmd[3:].strip()
            if number.endswith(";"):
                result("OK")
                return
            try:
                sock = socket.create_connection((host, int(port)), timeout=5)
            except OSError as e:
                note("dial", str(e))
                result("NO CARRIER")
                return
            time.sleep(0.2)
            result("CONNECT 115200")
            online = True
            return
        if body.startswith("+CPIN?"):
            result("+CPIN: READY" if unlocked else "+CPIN: SIM PIN")
        elif body.startswith("+CPIN="):
            given = cmd.split("=", 1)[1].strip().strip('"')
            if pin and given != pin:
                result("+CME ERROR: 16")
                return
            unlocked = True
        elif body.startswith("+CREG?"):
            result("+CREG: 0,1")
        elif body in ("O", "O0"):
            if sock is None:
                result("NO CARRIER")
            else:
                result("CONNECT 115200")
                online = True
            return
        else:
            basic = re.split(r"[+&]", body, 1)[0]
            m = re.search(r"E([01])", basic)
            if m:
                echo = m.group(1) == "1"
            if "H" in basic or body.startswith("Z"):
                hang_up()
        result("OK")

    while True:
        fds = [master] + ([sock] if sock is not None else [])
        wait = None
        if online and plus == b"+++":
            wait = max(0.0, last_rx + GUARD - time.monotonic())
        r, _, _ = select.select(fds, [], [], wait)
        now = time.monotonic()
        if online and plus == b"+++" and not r and now - last_rx >= GUARD:
            plus, online = b"", False
            result("OK")  # online command state
            continue
        if sock is not None and sock in r:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                hang_up()
                result("NO CARRIER")
                continue
            if online:
                os.write(master, data)
        if master in r:
            try:
                data = os.read(master, 65536)
            except OSError:
                time.sleep(0.05)
                continue
            gap = now - last_rx
            last_rx = now
            if online:
                if plus and set(data) <= {ord("+")} and len(plus + data) <= 3:
                    plus += data
                elif gap >= GUARD and set(data) <= {ord("+")} and len(data) <= 3:
                    plus = data
                else:
                    plus = b""
                sock.sendall(data)
                continue
            note(">", data)
            for b in data:
                c = bytes([b])
                if echo:
                    os.write(master, c)
                if c == b"\r":
                    cmd, line = line.decode("latin-1").strip(), b""
                    if cmd:
                        command(cmd)
                elif c != b"\n":
                    line += c


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
