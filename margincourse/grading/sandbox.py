"""A sandbox for the kernels that run students' notebooks while grading.

The grader already refuses to trust what a submission *prints* or *claims*: answers
are judged in the grader's own process (:mod:`margincourse.grading.grader`). This module
stops the submission's code from *doing* things on the instructor's machine. Each
kernel runs under `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``,
Debian/Ubuntu package ``bubblewrap``, the sandbox Flatpak uses), with:

* **no network**: a network namespace of its own with nothing in it (the kernel talks
  to the grader over Unix sockets in its folder, ZeroMQ's ``ipc`` transport);
* **a read-only system**: only ``/usr``, ``/etc``, the libraries, the Python the grader
  runs and the ``margincourse`` package are visible, read-only. Home folders, the
  course's ``solutions/``, the other submissions and the gradebook are not there at all,
  and the package's ``answer_key`` holds only the list of exercises: no question, no
  expected value (``check`` then just hands each answer to the grader);
* **one writable folder**, the submission's own temporary folder (plus an empty ``/tmp``);
* **its own process tree and session**: it cannot see or signal the grader or the other
  kernels, nor type into the instructor's terminal;
* **no privileges**: every capability dropped and no further user namespaces, so even a
  grader run as root gives the kernel no way to remount what it sees; ``/etc`` holds only
  the few files a Python process reads (no ``shadow``, no host keys);
* **limits**: a memory limit (``RLIMIT_AS``: a runaway cell fails with ``MemoryError``
  instead of exhausting the machine), a file-size limit, small RAM-backed ``/tmp`` and
  ``/dev/shm``, and a :class:`Watchdog` that kills the whole sandbox when it runs past its
  time, starts too many processes or writes too much into its folder; one thread per
  numerical library so parallel grading does not oversubscribe the cores;
* **a clean environment**: the grader's environment variables (tokens, keys) are not passed on.

``bwrap`` needs unprivileged user namespaces (on by default in Debian 11+, Fedora, and
Ubuntu before 24.04; Ubuntu 24.04 needs an AppArmor profile for ``bwrap``, or the grader
run as root, whose privileges the sandbox drops). Where
it cannot run, :func:`sandbox_problem` says why, and the grader says so (``--sandbox on``
refuses to grade without it).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from .checks import GRADING
from .progress import PROGRESS

__all__ = ["Sandbox", "SandboxedKernelManager", "Watchdog", "sandbox_problem", "DEFAULT_MEMORY_MB"]

DEFAULT_MEMORY_MB = 4096
MAX_FILE_MB = 512  # RLIMIT_FSIZE: the largest file the kernel may write
TMP_MB, SHM_MB = 256, 64  # the sandbox's RAM-backed /tmp and /dev/shm
MAX_PROCESSES = 256  # processes in one sandbox before the watchdog stops it
MAX_FOLDER_MB, MAX_FOLDER_FILES = 1024, 10_000  # what the kernel may leave in its folder
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What a Python kernel reads in /etc (the dynamic loader, names, time zone, certificates); nothing else of /etc.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd", "group",
             "nsswitch.conf", "host.conf", "hosts", "ssl", "ca-certificates", "mime.types", "alternatives",
             "fonts", "matplotlibrc", "python3", "python3.11", "os-release")
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")

# Sets the limits, then becomes the kernel (run inside the sandbox): memory, file size, processes
# (RLIMIT_NPROC counts all the user's processes and does not bind root: the watchdog is the rule there).
_LIMIT = ("import os, resource, sys; memory, size, processes = map(int, sys.argv[1:4]); "
          "resource.setrlimit(resource.RLIMIT_AS, (memory, memory)); "
          "resource.setrlimit(resource.RLIMIT_FSIZE, (size, size)); "
          "resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes)); "
          "os.execv(sys.argv[4], sys.argv[4:])")


def _processes_of_this_user() -> int:
    uid, count = os.getuid(), 0
    for entry in (os.listdir("/proc") if os.path.isdir("/proc") else ()):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return count


@functools.lru_cache(maxsize=None)
def _bwrap_options() -> frozenset:
    """The options this bwrap knows (``--disable-userns`` and ``--size`` came with 0.8 and 0.5)."""
    try:
        text = subprocess.run([shutil.which("bwrap") or "bwrap", "--help"], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(word for word in text.split() if word.startswith("--"))


def _package_dir() -> Path:
    """The whole ``margincourse`` package (this module sits in its ``grading`` room)."""
    return Path(__file__).resolve().parent.parent


def _answer_key_dir() -> Path:
    return Path(__file__).resolve().parent / "answer_key"


def readable_paths() -> list[str]:
    """What the kernel may read besides the system: the Python running the grader, its site-packages
    (a user's too, ``pip install --user``) and this package. Never the course folder around the package."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(_package_dir())}
    paths.update(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        paths.add(site.getusersitepackages())
    return sorted(p for p in paths if os.path.isdir(p))


@dataclass(frozen=True)
class Sandbox:
    """How to run one kernel: its writable ``folder``, its memory limit in MiB (None: no limit) and the
    file its checks record the learner's progress in (``progress``; default ``progress.json`` in
    ``folder``, the only place the kernel can write)."""

    folder: Path
    memory_mb: int | None = DEFAULT_MEMORY_MB
    progress: Path | None = None

    def environment(self) -> dict:
        """The kernel's whole environment (nothing else of the grader's is passed on)."""
        folder = str(self.folder)
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": folder,
            "LANG": "C.UTF-8",
            "IPYTHONDIR": str(self.folder / ".ipython"),
            "MPLCONFIGDIR": str(self.folder / ".matplotlib"),
            "MPLBACKEND": "agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            GRADING: "1",  # check() hands answers to the grader: the answer key is hidden
        }
        env.update({name: "1" for name in ONE_THREAD})
        env[PROGRESS] = str(self.progress or self.folder / "progress.json")
        return env

    @property
    def answer_key_stand_in(self) -> Path:
        """What the kernel sees in place of ``margincourse/answer_key``: the list of exercises, no questions."""
        return self.folder / ".answer_key"

    def prepare(self):
        """Make the answer key's stand-in, and copy matplotlib's font list into the folder, so each kernel
        does not rebuild it (about a second)."""
        self.answer_key_stand_in.mkdir(exist_ok=True)
        shutil.copyfile(_answer_key_dir() / "__init__.py", self.answer_key_stand_in / "__init__.py")
        try:  # imported here: matplotlib is slow to import and only this optional speed-up needs it
            import matplotlib

            cache = Path(matplotlib.get_cachedir())
        except Exception:  # noqa: BLE001 - matplotlib is optional for the sandbox itself
            return
        target = self.folder / ".matplotlib"
        target.mkdir(exist_ok=True)
        for font_list in cache.glob("fontlist-*.json"):
            shutil.copyfile(font_list, target / font_list.name)

    def wrap(self, command) -> list[str]:
        """``command`` (a kernel's argv) as it runs inside the sandbox."""
        folder = str(self.folder)
        argv = [shutil.which("bwrap") or "bwrap", "--clearenv"]
        for name, value in self.environment().items():
            argv += ["--setenv", name, value]
        known = _bwrap_options()
        sized = (lambda mb: ["--size", str(mb * 1024 * 1024)]) if "--size" in known else (lambda mb: [])
        # Later mounts go on top of earlier ones: the empty /tmp first, so that a Python or a
        # course that lives under /tmp (a CI checkout, say) is still visible above it.
        argv += ["--dev", "/dev", *sized(SHM_MB), "--tmpfs", "/dev/shm", "--proc", "/proc",
                 *sized(TMP_MB), "--tmpfs", "/tmp"]
        for path in SYSTEM_PATHS:
            if os.path.exists(path):
                argv += ["--ro-bind", path, path]
        for name in ETC_FILES:
            if os.path.exists(f"/etc/{name}"):
                argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for path in readable_paths():
            argv += ["--ro-bind", path, path]
        argv += ["--bind", folder, folder]
        if self.answer_key_stand_in.is_dir():  # the questions and expected values are not the kernel's to read
            argv += ["--ro-bind", str(self.answer_key_stand_in), str(_answer_key_dir())]
        argv += ["--chdir", folder, "--unshare-all", "--unshare-user"]
        if "--disable-userns" in known:
            argv += ["--disable-userns"]
        argv += ["--cap-drop", "ALL", "--new-session", "--die-with-parent", "--"]
        import resource  # Unix only: imported here so that the grader still imports where it is missing


        memory = int(self.memory_mb) * 1024 * 1024 if self.memory_mb else resource.RLIM_INFINITY
        argv += [sys.executable, "-c", _LIMIT, str(memory), str(MAX_FILE_MB * 1024 * 1024),
                 str(_processes_of_this_user() + MAX_PROCESSES)]
        command = [shutil.which(command[0]) or command[0], *command[1:]]
        return argv + list(command)


@functools.lru_cache(maxsize=None)
def sandbox_problem() -> str | None:
    """Why kernels cannot be sandboxed on this machine, or None if they can (tried once per process)."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    probe = Path(tempfile.mkdtemp(prefix="mcgrade-probe-"))
    try:
        command = Sandbox(probe, memory_mb=None).wrap(
            [sys.executable, "-c", "import ipykernel, margincourse, socket; socket.socket().close()"])
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"bwrap could not start: {error}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bwrap could not start a sandbox here ({last})"
    return None


def _children() -> dict:
    """Every process's children, from /proc (pid -> [child pids])."""
    children = {}
    if not os.path.isdir("/proc"):  # not Linux: no process tree to read (the watchdog keeps its other rules)
        return children
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    return children


def _is_bwrap(pid) -> bool:
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "bwrap"
    except OSError:
        return False


def descendants(pid) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    tree, found, stack = _children(), [], [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _folder_too_big(folder: Path):
    """Why what is in ``folder`` is over the limits, or None (stops counting at the limit)."""
    total, files = 0, 0
    for root, dirs, names in os.walk(folder):
        for name in names:
            files += 1
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
            if files > MAX_FOLDER_FILES:
                return f"it wrote more than {MAX_FOLDER_FILES:,} files"
            if total > MAX_FOLDER_MB * 1024 * 1024:
                return f"it wrote more than {MAX_FOLDER_MB:,} MiB"
    return None


class Watchdog:
    """Kills a kernel (and with a sandbox, everything in it) that runs too long, forks too much or
    fills its folder; checks twice a second in a thread of the grader.

    ``process`` is what the kernel manager started (``bwrap`` for a sandboxed kernel: killing it
    ends the whole pid namespace). ``reason`` says why it acted, or stays None.
    """

    def __init__(self, process, folder: Path, seconds: float, max_processes=MAX_PROCESSES):
        self.process, self.folder, self.max_processes = process, Path(folder), max_processes
        self.deadline = time.monotonic() + seconds
        self.reason = None
        self.timed_out = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(0.5):
            if time.monotonic() > self.deadline:
                self.timed_out, self.reason = True, "it ran past the submission's time limit"
            elif len(descendants(self.process.pid)) > self.max_processes:
                self.reason = f"it started more than {self.max_processes} processes"
            else:
                self.reason = _folder_too_big(self.folder)
            if self.reason:
                try:
                    self.process.kill()
                except OSError:
                    pass
                return

    def stop(self):
        self._stop.set()
        self._thread.join()


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs inside a :class:`Sandbox` (set ``.sandbox`` before starting).

    The kernel is a grandchild of the process the manager starts (``bwrap``), in a process
    group of its own, so an interrupt (the per-cell time limit) is sent to the kernel's own
    process, found by its connection file.
    """

    sandbox: Sandbox | None = None

    async def _async_pre_start_kernel(self, **kw):
        command, kw = await super()._async_pre_start_kernel(**kw)
        if self.sandbox is not None:  # the kernel's own console messages are not the notebook's output
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
        return command, kw

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.wrap(command) if self.sandbox is not None else command

    def _kernel_pid(self):
        process = getattr(self.provisioner, "process", None)
        if process is None:
            return None
        for pid in descendants(process.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    words = cmdline.read().split(b"\0")
            except OSError:
                continue
            if self.connection_file.encode() in words and b"-c" not in words and not _is_bwrap(pid):
                return pid
        return None

    async def interrupt_kernel(self):
        if self.sandbox is None:
            return await super().interrupt_kernel()
        pid = self._kernel_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
