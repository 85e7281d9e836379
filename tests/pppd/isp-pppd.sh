#!/bin/sh
# The test "ISP": pppd answering the call on the tty that socat gives it as stdin/stdout
# (socat TCP-LISTEN:... EXEC:isp-pppd.sh,pty), in the network namespace "isp", so that
# traffic between the two ends of the link really crosses it. IPv6 link-local only:
# fe80::1 here, fe80::2 offered to the caller. lcp-restart 1: after the caller's LCP
# Terminate-Request, wait 1 s rather than 3 before going down. $ISP_LOG: pppd's log file.
exec ip netns exec isp pppd nodetach noauth local nolock nocrtscts \
    noip +ipv6 ipv6 ::1,::2 escape ff lcp-echo-interval 0 lcp-restart 1 \
    debug logfile "$ISP_LOG" ipparam isp
