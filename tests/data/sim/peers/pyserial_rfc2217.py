"""An independent RFC 2217 client (pyserial) against `atchat sim --rfc2217`.

Usage: python3 pyserial_rfc2217.py HOST:PORT. Exits non-zero with a message on any mismatch.
"""
import sys
import time

import serial


def check(what, got, wanted):
    if got != wanted:
        sys.exit(f"{what}: expected {wanted!r}, got {got!r}")


port = serial.serial_for_url("rfc2217://" + sys.argv[1], 19200, timeout=5)
check("carrier before the call", port.cd, False)
check("DSR", port.dsr, True)
port.write(b"ATE0\r")
check("ATE0", port.read_until(b"OK\r\n"), b"ATE0\r\r\nOK\r\n")
# The baud rate set by the client reaches the modem: it shows in CONNECT.
port.write(b"ATD5551234\r")
check("dial", port.read_until(b"19200\r\n"), b"\r\nCONNECT 19200\r\n")
time.sleep(0.3)
check("carrier during the call", port.cd, True)
# 0xff must survive Telnet escaping both ways (the far end echoes online data).
port.write(b"\xff\x00data")
check("online data", port.read_until(b"data"), b"\xff\x00data")
# DTR off (&D2): the modem hangs up and the carrier change comes back.
port.dtr = False
check("DTR drop", port.read_until(b"NO CARRIER\r\n"), b"\r\nNO CARRIER\r\n")
time.sleep(0.3)
check("carrier after hang-up", port.cd, False)
port.dtr = True
port.send_break(0.2)
port.write(b"AT\r")
check("after break", port.read_until(b"OK\r\n"), b"\r\nOK\r\n")
port.close()
print("ok")
