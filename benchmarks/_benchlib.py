"""Shared helpers for the benchmarks: paths, process-tree sampling, a network guard, output.

Standard library only: the fleet benchmark's worker processes import this module (through the
benchmark script) and must stay cheap to start. Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
# The data lives beside the repository clone, never inside it (see the example's fleet.yaml).
ROSSMANN_DIR = REPO_ROOT.parent / "shared" / "datasets" / "rossmann-store-sales"
ROSSMANN_SPEC = REPO_ROOT / "examples" / "rossmann" / "fleet.yaml"

NET_LOG_ENV = "MODELFLEET_BENCH_NET_LOG"
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_TICKS = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- machine facts
def machine_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """What the numbers were measured on: CPU, memory, Python, package versions, git commit."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions: dict[str, str] = {}
    for name in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu,
        "cpu_cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "code_state": code_state(),
        "load_average": os.getloadavg(),
    }


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_state() -> str:
    """``src@<tree>`` (the committed ``src/`` tree) plus a hash of uncommitted changes to it.

    Other people may change the code while a long benchmark runs; this changes only when
    ``src/`` does (not when, say, the benchmarks themselves are committed).
    """
    tree = _git("rev-parse", "--short", "HEAD:src") or "unknown"
    diff = _git("diff", "HEAD", "--", "src") or ""
    state = f"src@{tree}"
    return f"{state}+{hashlib.sha256(diff.encode()).hexdigest()[:8]}" if diff else state


def system_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat), to spot other load."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _TICKS


def wait_for_quiet(
    max_wait: float, *, cores: float = 0.3, window: float = 5.0
) -> tuple[float, float]:
    """Wait (up to ``max_wait`` s) until other programs use under ``cores`` CPUs for ``window``
    seconds, so an arm does not start in the middle of someone else's test run.

    Returns (seconds waited, busy cores in the last window).
    """
    start = time.monotonic()
    busy = 0.0
    while True:
        before = system_busy_seconds()
        time.sleep(window)
        busy = (system_busy_seconds() - before) / window
        waited = time.monotonic() - start
        if busy < cores or waited >= max_wait:
            return waited, busy


def dir_size_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- process tree
def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:  # noqa: PTH123 (hot)
            return handle.read()
    except OSError:
        return None


def _descendants(root: int) -> list[int]:
    """``root`` and every live process below it (one scan of /proc, parents from ``stat``)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):  # noqa: PTH208 (a hot path: plain strings are faster)
        if not name.isdigit():
            continue
        text = _read(f"/proc/{name}/stat")
        if text is None:
            continue
        children.setdefault(int(text.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _cpu_seconds(pid: int) -> float | None:
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _rss_kb(pid: int) -> int:
    text = _read(f"/proc/{pid}/statm")
    return int(text.split()[1]) * _PAGE_KB if text else 0


def _pss_kb(pid: int) -> int:
    text = _read(f"/proc/{pid}/smaps_rollup")
    for line in (text or "").splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return _rss_kb(pid)


@dataclass
class TreeUsage:
    """Peak memory and CPU time of a process and all its descendants."""

    peak_rss_mb: float = 0.0  # sum of RSS over the tree (shared pages counted per process)
    peak_pss_mb: float = 0.0  # sum of PSS: shared pages split between sharers
    peak_processes: int = 0
    cpu_seconds: float = 0.0  # user + system, all processes of the tree
    samples: int = 0
    _cpu: dict[int, float] = field(default_factory=dict)


class TreeSampler:
    """Samples a process tree from a thread: summed RSS/PSS peaks and CPU time per process.

    Workers of a forkserver pool are grandchildren of the process that owns the pool, so
    ``getrusage(RUSAGE_CHILDREN)`` never sees them; walking /proc does.
    """

    def __init__(self, root: int, interval: float = 0.2, pss_every: int = 10) -> None:
        # smaps_rollup walks page tables: PSS is read every ``pss_every`` samples only, so
        # the sampler itself stays around 1% of a core.
        self.root, self.interval, self.pss_every = root, interval, pss_every
        self.usage = TreeUsage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        """Take one sample of the tree now."""
        usage = self.usage
        rss = pss = 0
        pids = _descendants(self.root)
        with_pss = usage.samples % self.pss_every == 0
        for pid in pids:
            cpu = _cpu_seconds(pid)
            if cpu is None:
                continue
            usage._cpu[pid] = cpu
            rss += _rss_kb(pid)
            if with_pss:
                pss += _pss_kb(pid)
        usage.peak_rss_mb = max(usage.peak_rss_mb, rss / 1024)
        if with_pss:
            usage.peak_pss_mb = max(usage.peak_pss_mb, pss / 1024)
        usage.peak_processes = max(usage.peak_processes, len(pids))
        usage.cpu_seconds = sum(usage._cpu.values())
        usage.samples += 1


# ----------------------------------------------------------------------------- network guard
def _local(host: object) -> bool:
    text = host.decode() if isinstance(host, bytes) else str(host)
    return text in {"", "localhost", "::1", "0.0.0.0"} or text.startswith("127.")


def install_network_guard() -> None:
    """Make every non-loopback socket connect or DNS lookup in this process fail and be logged.

    Logged to the file named by ``MODELFLEET_BENCH_NET_LOG`` so the benchmark can prove that
    nothing reached the network (MLflow telemetry, model hubs...). Unix sockets are allowed:
    multiprocessing's forkserver talks over one. Native code (DuckDB, LightGBM) is not covered.
    """
    if getattr(socket, "_bench_guarded", False):
        return
    log = os.environ.get(NET_LOG_ENV)

    def record(what: str) -> None:
        if log:
            with Path(log).open("a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()} {what}\n")

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def blocked(sock: socket.socket, address: Any) -> bool:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6)
        return inet and isinstance(address, tuple) and not _local(address[0])

    def connect(self: socket.socket, address: Any) -> None:
        if blocked(self, address):
            record(f"connect {address!r}")
            raise OSError(errno.ENETUNREACH, "network blocked by the benchmark")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if blocked(self, address):
            record(f"connect_ex {address!r}")
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _local(host):
            record(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "network blocked by the benchmark")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    socket._bench_guarded = True  # type: ignore[attr-defined]


def guard_sitecustomize(folder: Path) -> Path:
    """Write a ``sitecustomize.py`` that installs the guard in every Python process started
    with ``folder`` on PYTHONPATH (pool workers, MLflow's requirement-inference subprocess)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(BENCH_DIR)!r})\n"
        "import _benchlib\n"
        "_benchlib.install_network_guard()\n"
        "sys.path.remove(" + repr(str(BENCH_DIR)) + ")\n",
        encoding="utf-8",
    )
    return folder


def network_attempts(log: Path) -> list[str]:
    """The blocked network attempts recorded in ``log``."""
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


# ----------------------------------------------------------------------------- output
def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[_fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``benchmarks/results/<name>-<UTC time>.json`` and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    return path


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start


def python() -> str:
    """The interpreter running the benchmark (its venv is the one measured)."""
    return sys.executable
