"""pyserial on the pty of `atchat sim --pty`: a Hayes session as a terminal program sees it.

Usage: python3 pyserial_pty.py PATH. Exits non-zero with a message on any mismatch.
"""
import sys
import time

import serial


def check(what, got, wanted):
    if got != wanted:
        sys.exit(f"{what}: expected {wanted!r}, got {got!r}")


port = serial.Serial(sys.argv[1], 9600, timeout=5)
port.write(b"AT\r\n")
# CR ends the command line at once; the LF after it is echoed after the answer.
check("AT", port.read_until(b"OK\r\n"), b"AT\r\r\nOK\r\n")
check("LF echo", port.read(1), b"\n")
port.write(b"ATE0V0\r")
check("numeric", port.read(9), b"ATE0V0\r0\r")
port.write(b"ATV1S12=10\r")
check("S12", port.read_until(b"OK\r\n"), b"\r\nOK\r\n")
start = time.monotonic()
port.write(b"ATDT5551234\r")
# The pty carries the client's baud rate to the modem.
check("dial", port.read_until(b"9600\r\n"), b"\r\nCONNECT 9600\r\n")
took = time.monotonic() - start
if not 0.9 <= took < 3:
    sys.exit(f"CONNECT after {took:.2f} s, expected the 1 s ring delay")
port.write(b"ping")
check("loopback", port.read_until(b"ping"), b"ping")
time.sleep(0.3)
port.write(b"+++")
check("escape", port.read_until(b"OK\r\n"), b"+++\r\nOK\r\n")
port.write(b"ATH\r")
check("hang up", port.read_until(b"OK\r\n"), b"\r\nOK\r\n")
port.close()
print("ok")
