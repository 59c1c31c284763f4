#!/usr/bin/env python3
"""Does traffic during a restart delay the container? Without phoenix: one null container
(the demo, STARTUP_DELAY_MS=0) on a user network, published on a loopback port; `docker
kill` then `docker start`, N times polled only after `start` returned and N times polled
every 5 ms during the restart as well. Prints, per run, when `start` returned and when the
container first answered /health, ms after the kill was issued. docs/certification.md, The platform floor,
holds a run. Needs Docker and the image phoenix-demo:latest (any `phoenix run` of a bundled
scenario builds it). Not part of the tests.

With --flush (as root) a third mode polls during the restart and then deletes the host's
neighbour (ARP) entry for the container's address once `start` returned: it shows where
the delay comes from. Traffic to the stopped container leaves that entry INCOMPLETE, and
the kernel asks again only every `retrans_time` (1 s by default); Docker 20.10 does not
announce the restarted container (moby/moby#36069), so clients wait for the next ask.

    python3 benches/restart-traffic.py [runs per mode, default 3] [--flush]
"""
import socket, subprocess, sys, threading, time

PORT, NAME, NET = 38998, "phoenix-restart-traffic", "phoenix-restart-traffic"


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
            s.settimeout(0.05)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()


def one(poll_during, flush=False):
    ip = sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NAME)
    t0 = time.monotonic()
    sh("docker", "kill", NAME)
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            healthy(PORT)
            time.sleep(0.005)

    poller = threading.Thread(target=poll) if poll_during else None
    if poller:
        poller.start()
    sh("docker", "start", NAME)
    started = time.monotonic() - t0
    if poller:
        stop.set()
        poller.join()
    if flush:
        sh("ip", "neigh", "flush", ip)
    deadline = t0 + 30  # bounded: a container that never answers ends the run
    while not healthy(PORT):
        if time.monotonic() > deadline:
            sys.exit("no answer within 30 s")
        time.sleep(0.001)
    return started * 1000, (time.monotonic() - t0) * 1000


def main():
    args = [a for a in sys.argv[1:] if a != "--flush"]
    modes = [(False, False), (True, False)] + ([(True, True)] if "--flush" in sys.argv else [])
    runs = min(int(args[0]) if args else 3, 20)
    sh("docker", "rm", "-f", NAME)
    sh("docker", "network", "create", NET)
    try:
        sh("docker", "run", "-d", "--name", NAME, "--network", NET, "-e", "STARTUP_DELAY_MS=0",
           "-p", f"127.0.0.1:{PORT}:8080", "phoenix-demo:latest")
        time.sleep(1)
        print("| polled during the restart | neighbour entry flushed | start returned (ms) | first answer (ms) |")
        print("|---|---|---|---|")
        for i in range(len(modes) * runs):
            during, flush = modes[i % len(modes)]
            started, answered = one(during, flush)
            yes = lambda b: "yes" if b else "no"
            print(f"| {yes(during)} | {yes(flush)} | {started:.0f} | {answered:.0f} |")
            time.sleep(1)
    finally:
        sh("docker", "rm", "-f", NAME)
        sh("docker", "network", "rm", NET)


if __name__ == "__main__":
    main()
