"""The benchmark's processes: three sandbox stores (one process each) and measured cycles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncd.sandbox.server import PLATFORMS, Sandboxes, write_private

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class SandboxProc:
    """One sandbox store running in a child process."""

    platform: str
    proc: subprocess.Popen[str]
    url: str

    @classmethod
    def start(cls, platform: str, count: int) -> SandboxProc:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sandbox_proc", platform, str(count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if line.startswith("url "):
                url = line.split()[1]
            if line.strip() == "ready":
                return cls(platform, proc, url)
        raise RuntimeError(f"sandbox {platform} exited before it was ready ({proc.wait()})")

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"sandbox {self.platform}: {line!r} answered {answer!r}")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # EOF: the process stops serving and exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_sandboxes(count: int) -> dict[str, SandboxProc]:
    procs: dict[str, SandboxProc] = {}
    try:
        for platform in PLATFORMS:
            procs[platform] = SandboxProc.start(platform, count)
    except BaseException:
        stop_sandboxes(procs)
        raise
    return procs


def stop_sandboxes(procs: dict[str, SandboxProc]) -> None:
    for proc in procs.values():
        proc.stop()


def write_config(procs: dict[str, SandboxProc], ledger_url: str, path: Path) -> None:
    """A syncd config for these sandboxes; credentials are the fixed sandbox defaults, so
    applications built here (never served) give the same values as the children's."""
    sandboxes = Sandboxes.create()
    sandboxes.urls = {platform: proc.url for platform, proc in procs.items()}
    write_private(path, sandboxes.config_toml(ledger_url))


def run_cycle(config: Path, profile: Path | None = None) -> dict[str, Any]:
    """One measured cycle in a fresh process (see :mod:`bench.one_cycle`)."""
    cmd = [sys.executable, "-m", "bench.one_cycle", str(config), "sandbox"]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
