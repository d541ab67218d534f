"""Private network namespaces for tests that make traffic."""
import itertools
import os
import signal
import subprocess
import time

_count = itertools.count()


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check, capture_output=True, text=True)


class Netns:
    """`with Netns() as ns:` a namespace with lo up, removed on exit."""

    def __init__(self):
        self.name = "itscap-%d-%d" % (os.getpid(), next(_count))

    def __enter__(self):
        ip("netns", "add", self.name)
        ip("-n", self.name, "link", "set", "lo", "up")
        return self

    def __exit__(self, *exc):
        out = ip("netns", "pids", self.name, check=False).stdout.split()
        for pid in out:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        time.sleep(0.1)
        ip("netns", "del", self.name, check=False)

    def run(self, argv, **kw):
        kw.setdefault("check", True)
        kw.setdefault("capture_output", True)
        return subprocess.run(["ip", "netns", "exec", self.name] + list(argv), **kw)

    def popen(self, argv, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.name] + list(argv), **kw)

    def ip(self, *args, check=True):
        return ip("-n", self.name, *args, check=check)
