"""Real-browser tests: the course as a learner meets it, in JupyterLab in headless Chromium.

A session fixture starts a real JupyterLab server on 127.0.0.1 (a free port, a random
token) whose root is a temporary COPY of ``notebooks/`` and ``exercises/``, so nothing in
the repository is modified; the kernel records progress in a temporary file
(``MARGINCOURSE_PROGRESS``). Chromium is Debian's ``/usr/bin/chromium`` driven by
Playwright for Python; no browser is ever downloaded and the page only talks to
localhost.

Without the ``playwright`` package or without Chromium the tests are SKIPPED with the
reason; when the environment variable ``CI`` is set (``CI=true``) they ERROR instead,
so CI cannot pass without really running them.

Environment variables:

``MARGINCOURSE_CHROMIUM``     the Chromium executable (default ``/usr/bin/chromium``)
``MARGINCOURSE_SCREENSHOTS``  where to save screenshots (default: pytest's temporary
                              folder, so a test run never rewrites committed files).
                              Refresh the committed ones with
                              ``MARGINCOURSE_SCREENSHOTS=tests/browser/screenshots python -m pytest tests/browser``
                              Every screen of every lesson and exercise notebook after Run All
                              (``<stem>_screen<k>.png``, 1280x800) goes there too, except when it
                              is that committed folder: then they stay in a temporary folder,
                              named in the run's summary.

Every notebook the suite opens is run once (Run All Cells) and surveyed at once, before
any test touches it: its length in screens and its layout at each width in
``LAYOUT_WIDTHS`` (``NotebookPage.survey``); tests/browser/test_layout.py judges them.

The helpers below (``LabServer``, ``launch_browser``, ``NotebookPage``) are also used by
``benchmarks/bench_browser.py``.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COURSE_FOLDERS = ("notebooks", "exercises")
CHROMIUM = Path(os.environ.get("MARGINCOURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}      # a laptop; also the size each screen is measured at
LAYOUT_WIDTHS = (1024, 1280)  # browser widths (height 800) at which every notebook's layout is surveyed
LAYOUT_TOLERANCE = 1          # px: less overlap or clipping than this is rounding, not a defect
SCREENSHOT_VIEWPORT = {"width": 1280, "height": 1024}   # tall enough for a whole dashboard
SERVER_TIMEOUT = 120          # seconds for JupyterLab to answer /api/status
KERNEL_TIMEOUT = 120_000      # ms for a notebook's kernel to become idle (cold imports are slow)
RUN_ALL_TIMEOUT = 120_000     # ms for "Run All Cells" to finish

# JupyterLab user settings for the test server: no news or update pop-ups over the
# screenshots (and no request leaves localhost), every cell rendered in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


# --------------------------------------------------------------------------- availability

def running_in_ci() -> bool:
    """True when the environment variable CI is set to anything but an empty/false value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def missing_reason():
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the Python package 'playwright' is not installed "
                "(pip install 'playwright>=1.40'; its browser download is not needed)")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MARGINCOURSE_CHROMIUM)"
    return None


def require_browser():
    """Skip (or, with CI set, fail) when Playwright or Chromium is missing."""
    reason = missing_reason()
    if reason is None:
        return
    if running_in_ci():
        pytest.fail(f"CI is set, so the browser tests must run, but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A JupyterLab server on 127.0.0.1 over a temporary copy of the course folders."""

    def __init__(self, workdir: Path, course: Path = REPO):
        self.workdir = Path(workdir)
        self.course = Path(course)
        self.root = self.workdir / "course"
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.progress_file = self.workdir / "progress.json"
        self.log_path = self.workdir / "jupyterlab.log"
        self.process = None
        self.started_at = None
        self.ready_seconds = None

    def _copy_course(self):
        ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".margincourse_progress.json")
        for name in COURSE_FOLDERS:
            shutil.copytree(self.course / name, self.root / name, ignore=ignore)

    def _environment(self):
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                     "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
            folder = self.workdir / name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            env[name] = str(folder)
        for name, settings in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        env["MARGINCOURSE_PROGRESS"] = str(self.progress_file)
        env.pop("JUPYTER_TOKEN", None)
        return env

    def command(self):
        """``margincourse lab``'s own command line, made headless and local."""
        from margincourse.cli import lab_command

        return lab_command(self.root, [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.extension_manager=readonly",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ])

    def start(self, timeout=SERVER_TIMEOUT):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._copy_course()
        env = self._environment()
        self.started_at = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                self.ready_seconds = time.perf_counter() - self.started_at
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer on {self.base} within {timeout} s:\n{self.log_tail()}")

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(self.base + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, path=""):
        """A URL that logs in with the token (``lab/tree/<path>`` opens a notebook)."""
        return f"{self.base}/{path}?token={self.token}"

    def shutdown_kernels(self):
        """Close every notebook session (frees the kernels between lessons)."""
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def shutdown_session(self, path):
        """Close the notebook session of ``path`` (relative to the course root) only."""
        try:
            for session in self.api("GET", "/api/sessions"):
                if session.get("path") == path or session.get("notebook", {}).get("path") == path:
                    self.api("DELETE", f"/api/sessions/{session['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.shutdown_kernels()
        pgid = self.process.pid  # start_new_session: the server leads its own process group
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        try:
            os.killpg(pgid, signal.SIGKILL)  # kernels it may have left behind
        except (ProcessLookupError, PermissionError):
            pass


# --------------------------------------------------------------------------- the browser

def launch_browser(playwright, profile_dir):
    """Debian's Chromium, headless, with a fresh profile."""
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport=VIEWPORT, device_scale_factor=1, locale="en-US", timezone_id="UTC",
        reduced_motion="reduce",
    )

    context.set_default_timeout(30_000)
    return context


KERNEL_IDLE = r"""() => {
  const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  return !!indicator && indicator.dataset.status === 'idle'
    && indicator.textContent.includes('Kernel status: Idle')
    && /\| Idle\b/.test(document.querySelector('#jp-main-statusbar')?.innerText ?? '')
    && document.querySelectorAll('.jp-Notebook .jp-Cell').length > 1;
}"""

WAIT_RUN_DONE = r"""() => {
  if (!(""" + KERNEL_IDLE + r""")()) return false;
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
    .filter(c => (c.querySelector('.cm-content')?.textContent ?? '').trim() !== '');
  if (cells.some(c => !/^\[\d+\]:$/.test(c.querySelector('.jp-InputArea-prompt').textContent.trim()))) return false;
  return document.querySelectorAll('.jp-Notebook [data-mc-stale]').length === 0;
}"""

# Mark every output shown now; "Run All" is done when none of them is left.
MARK_STALE = r"""() => {
  const outputs = document.querySelectorAll('.jp-Notebook .jp-OutputArea-child');
  outputs.forEach(n => n.setAttribute('data-mc-stale', ''));
  return outputs.length;
}"""

STARTED = r"""(stale) => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
  return prompts.some(p => p.textContent.includes('*'))
    || document.querySelectorAll('.jp-Notebook [data-mc-stale]').length < stale;
}"""

RUN_STATE = r"""() => ({
  status: document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator')?.textContent.trim(),
  statusbar: document.querySelector('#jp-main-statusbar')?.innerText.replace(/\n/g, ' '),
  active: document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current')?.innerText ?? null,
  prompts: [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim()).join(' '),
  stale: document.querySelectorAll('.jp-Notebook [data-mc-stale]').length,
  dialog: document.querySelector('.jp-Dialog')?.innerText ?? null,
})"""

OUTPUT_PROBLEMS = r"""() => {
  const problems = [];
  const outputs = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')];
  outputs.forEach((output, index) => {
    const cell = output.closest('.jp-CodeCell');
    const where = cell ? cell.querySelector('.jp-InputArea-prompt').textContent.trim() : `output ${index}`;
    const stderr = output.matches('[data-mime-type="application/vnd.jupyter.stderr"]')
      ? [output] : [...output.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')];
    for (const node of stderr) {
      const text = node.textContent;
      if (/Traceback|\w+(Error|Exception)\b/.test(text)) problems.push(`${where} error output: ${text.slice(0, 1500)}`);
    }
    const shown = output.textContent;
    for (const marker of ['Error displaying widget', 'Error rendering', 'model not found', 'Loading widget...']) {
      if (shown.includes(marker)) problems.push(`${where} widget did not render: ${shown.slice(0, 300)}`);
    }
  });
  return problems;
}"""

# Scroll an element to the top of its scrolling container, leaving a little room above it.
SCROLL_TO_TOP = r"""(element) => {
  element.scrollIntoView({block: 'start'});
  let box = element.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible')) {
    box = box.parentElement;
  }
  if (box) box.scrollTop -= 16;
}"""

STDERR_TEXTS = r"""() =>
  [...document.querySelectorAll('.jp-Notebook [data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(n => n.textContent.slice(0, 500))"""


# --------------------------------------------------------------------------- layout and length

# The widget elements compared for overlaps: the leaves among these (labels, readouts, slider
# tracks, buttons, toggle buttons, radio options, HTML widgets' content, images ...).
# In one evaluation: every overlap between two of them in one cell's outputs, every text cut
# off by a box that clips it (the element itself, by ellipsis or overflow, or an ancestor up
# to the output area), and every output table cell whose text ends in "..." or "…".
LAYOUT_PROBLEMS = r"""(tolerance) => {
  const PART = '.jupyter-widgets, [class*="widget-"], .jupyter-button, .widget-radio-box > label, .slider-container';
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const clean = (text) => text.replace(/\s+/g, ' ').replace(/¶$/, '').trim();
  const heading = (cell) => {
    for (let i = cells.indexOf(cell); i >= 0; i--) {
      const found = cells[i].querySelectorAll('.jp-MarkdownOutput :is(h1, h2, h3, h4)');
      if (found.length) return clean(found[found.length - 1].textContent);
    }
    return '';
  };
  const where = (el) => {
    const cell = el.closest('.jp-Cell');
    return {cell: cells.indexOf(cell) + 1, prompt: cell.querySelector('.jp-InputArea-prompt')?.textContent.trim() ?? '',
            heading: heading(cell)};
  };
  const own = (el) => el.tagName.toLowerCase()
    + [...el.classList].filter(c => !c.startsWith('lm-') && c !== 'jupyter-widgets').map(c => '.' + c).join('');
  // "div.widget-radio-box > label", "div.widget-html-content td": a class-less element by its nearest classed ancestor.
  const name = (el) => {
    let up = el.parentElement, depth = 1;
    if (el.classList.length) return own(el);
    while (up && !up.classList.length && depth < 6) { up = up.parentElement; depth++; }
    return up ? `${own(up)}${depth === 1 ? ' > ' : ' '}${own(el)}` : own(el);
  };
  const text = (el, n = 100) => clean(el.textContent).slice(0, n);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && parseFloat(style.opacity) > 0;
  };
  const clips = (style) => style.display === 'inline' || style.display === 'contents' ? [false, false]
    : [style.overflowX !== 'visible', style.overflowY !== 'visible'];
  // Where an element's text is laid out (text-overflow only hides it; the layout keeps its full width).
  const textRects = (el, ownText) => {
    const nodes = [];
    if (ownText) nodes.push(...[...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE));
    else {
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      while (walk.nextNode()) nodes.push(walk.currentNode);
    }
    const rects = [], range = document.createRange();
    for (const node of nodes) {
      if (!node.textContent.trim() || getComputedStyle(node.parentElement).visibility === 'hidden') continue;
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) rects.push(r);
    }
    return rects;
  };
  const union = (rects) => rects.reduce((u, r) => ({l: Math.min(u.l, r.left), t: Math.min(u.t, r.top),
    r: Math.max(u.r, r.right), b: Math.max(u.b, r.bottom)}), {l: Infinity, t: Infinity, r: -Infinity, b: -Infinity});
  // What an element paints: its box, grown by its text where the text overflows and nothing clips it.
  const inkBox = (el) => {
    const r = el.getBoundingClientRect(), box = {l: r.left, t: r.top, r: r.right, b: r.bottom};
    const [clipX, clipY] = clips(getComputedStyle(el));
    if (clipX && clipY) return box;
    const ink = union(textRects(el, false));
    if (ink.l === Infinity) return box;
    if (!clipX) { box.l = Math.min(box.l, ink.l); box.r = Math.max(box.r, ink.r); }
    if (!clipY) { box.t = Math.min(box.t, ink.t); box.b = Math.max(box.b, ink.b); }
    return box;
  };
  // Overflow clips at the padding box (the part of it a scroll bar leaves).
  const paddingBox = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    const l = r.left + parseFloat(s.borderLeftWidth), t = r.top + parseFloat(s.borderTopWidth);
    return {l, t, r: Math.min(l + el.clientWidth, r.right), b: Math.min(t + el.clientHeight, r.bottom)};
  };
  // An ellipsis replaces the end of a line as soon as the text is wider than the content box.
  const contentSpan = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return [r.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft),
            r.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight)];
  };
  const ELLIPSIS_ROUNDING = 0.05;   // px; layout is in 1/64 px, and a fitting label measures 0.000
  const px = (v) => Math.round(Math.max(v, 0) * 10) / 10;
  const overlaps = [], clipped = [], truncated = [], examined = {widgets: 0, texts: 0, table_cells: 0};
  for (const area of document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-Cell-outputArea')) {
    const parts = [...area.querySelectorAll(PART)].filter(shown);
    const leaves = parts.filter(p => !parts.some(q => q !== p && p.contains(q)));
    const boxes = leaves.map(inkBox);
    examined.widgets += leaves.length;
    for (let i = 0; i < leaves.length; i++) {
      for (let j = i + 1; j < leaves.length; j++) {
        if (leaves[i].contains(leaves[j]) || leaves[j].contains(leaves[i])) continue;
        const a = boxes[i], b = boxes[j];
        const dx = Math.min(a.r, b.r) - Math.max(a.l, b.l), dy = Math.min(a.b, b.b) - Math.max(a.t, b.t);
        if (dx > tolerance && dy > tolerance) {
          overlaps.push({...where(leaves[i]), first: name(leaves[i]), first_text: text(leaves[i]),
                         second: name(leaves[j]), second_text: text(leaves[j]), size: `${px(dx)} x ${px(dy)} px`});
        }
      }
    }
    const cutBy = new Map();   // one finding per box that clips, listing the texts it cuts
    for (const el of area.querySelectorAll('.jupyter-widgets, .jupyter-widgets *')) {
      const rects = textRects(el, true);
      if (!rects.length || !shown(el)) continue;
      const ink = union(rects);
      examined.texts++;
      for (let box = el; box && box !== area; box = box.parentElement) {
        const style = getComputedStyle(box);
        const [clipX, clipY] = clips(style);
        if (!clipX && !clipY) continue;
        const ellipsis = box === el && style.textOverflow === 'ellipsis' && clipX;
        const c = paddingBox(box);
        const [left, right] = ellipsis ? contentSpan(box) : [c.l, c.r];
        const cutX = clipX ? Math.max(left - ink.l, ink.r - right) : 0;
        const cutY = clipY ? Math.max(c.t - ink.t, ink.b - c.b) : 0;
        const overX = cutX > (ellipsis ? ELLIPSIS_ROUNDING : tolerance), overY = cutY > tolerance;
        if (!overX && !overY) continue;
        const how = ellipsis && overX ? 'text-overflow: ellipsis'
          : `overflow: ${overX ? style.overflowX : style.overflowY}`;
        if (!cutBy.has(box)) {
          cutBy.set(box, {...where(el), clipped_by: box === el ? 'itself' : name(box), how, texts: []});
          clipped.push(cutBy.get(box));
        }
        const finding = cutBy.get(box);
        finding.texts.push({element: name(el), text: text(el, 160), width: px(cutX), height: px(cutY)});
        break;
      }
    }
    for (const td of area.querySelectorAll('.jp-OutputArea-output :is(td, th)')) {
      const shownText = clean(td.textContent);
      examined.table_cells++;
      if (!/(\.\.\.|…)$/.test(shownText)) continue;
      const index = [...td.parentElement.children].indexOf(td);
      const headers = [...td.closest('table').querySelectorAll('thead tr')]
        .map(row => row.children[index] ? clean(row.children[index].textContent) : '').filter(Boolean);
      truncated.push({...where(td), text: shownText.slice(0, 160), column: headers.join(' / '),
                      row: clean(td.parentElement.children[0].textContent).slice(0, 60)});
    }
  }
  return {overlaps, clipped, truncated, examined};
}"""

# The notebook's scroller and how far its content reaches (the bottom of its last cell, in
# the scroller's coordinates); collapsed <details> stay collapsed.
NOTEBOOK_EXTENT = r"""() => {
  const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
  const cells = outer.querySelectorAll('.jp-Cell');
  const top = outer.getBoundingClientRect().top + outer.clientTop;
  const bottom = cells[cells.length - 1].getBoundingClientRect().bottom - top + outer.scrollTop;
  return {content: bottom, visible: outer.clientHeight, cells: cells.length,
          details: outer.querySelectorAll('.jp-MarkdownOutput details').length,
          open_details: outer.querySelectorAll('.jp-MarkdownOutput details[open]').length};
}"""

# Scroll the notebook's scroller to ``top`` px; answer where it went, after two frames and
# once every image on the page has loaded.
SCROLL_NOTEBOOK = r"""async (top) => {
  const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
  outer.scrollTop = top;
  for (let i = 0; i < 2; i++) await new Promise(done => requestAnimationFrame(done));
  for (let i = 0; i < 50 && [...document.images].some(img => !img.complete); i++) {
    await new Promise(done => setTimeout(done, 20));
  }
  return outer.scrollTop;
}"""

WAIT_FRAMES = r"""async () => {
  for (let i = 0; i < 3; i++) await new Promise(done => requestAnimationFrame(done));
}"""


class NotebookPage:
    """One notebook open in JupyterLab, with the few actions a learner takes."""

    opened = 0

    def __init__(self, context, server, path):
        self.server = server
        self.path = path
        self.page = context.new_page()
        self.console_errors = []
        self.page_errors = []
        self.external_requests = []   # anything not on 127.0.0.1 (there should be none)
        self.failure_dir = None       # where save_failure() puts its screenshot
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("request", self._record_request)

    def _record_request(self, request):
        if not request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            self.external_requests.append(request.url)

    def open(self, timeout=KERNEL_TIMEOUT):
        """Open the notebook and wait until its kernel is idle."""
        # A workspace of its own: JupyterLab must not restore tabs another page left open.
        NotebookPage.opened += 1
        self.page.goto(self.server.url(f"lab/workspaces/mc{NotebookPage.opened}/tree/{self.path}"))
        self.page.wait_for_function(KERNEL_IDLE, timeout=timeout, polling=100)
        return self

    def menu(self, menu, item):
        """Click a menu-bar entry, e.g. ``menu("Run", "Run All Cells")``."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
        self.page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text(item, exact=True).click()

    def run_all(self, timeout=RUN_ALL_TIMEOUT):
        """Run All Cells from the Run menu; wait until every cell has run afresh and the kernel is idle."""
        stale = self.page.evaluate(MARK_STALE)
        start = time.perf_counter()
        for attempt in range(3):
            self.activate()
            self.menu("Run", "Run All Cells")
            try:  # started: a cell is queued or running, or an old output is gone
                self.page.wait_for_function(STARTED, arg=stale, timeout=10_000, polling=50)
                break
            except Exception:
                self.page.keyboard.press("Escape")
        try:
            self.page.wait_for_function(WAIT_RUN_DONE, timeout=timeout, polling=100)
        except Exception:
            # A cell that raised stops "Run All": report its output rather than a timeout.
            problems = self.output_problems()
            if problems:
                raise AssertionError("Run All Cells stopped on an error:\n" + "\n".join(problems)) from None
            raise AssertionError(f"Run All Cells did not finish within {timeout / 1000:.0f} s: "
                                 f"{self.page.evaluate(RUN_STATE)}") from None
        return time.perf_counter() - start

    def activate(self):
        """Make the notebook the current widget (its commands, such as Run All, are enabled then)."""
        name = self.path.rsplit("/", 1)[-1]
        self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name).first.click()

    def output_problems(self):
        return self.page.evaluate(OUTPUT_PROBLEMS)

    def stderr_texts(self):
        """Every stderr output's text (warnings included)."""
        return self.page.evaluate(STDERR_TEXTS)

    def set_width(self, width, height=VIEWPORT["height"]):
        """Resize the window and wait until JupyterLab has laid the notebook out again."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.evaluate(WAIT_FRAMES)
        self.page.wait_for_timeout(150)   # Lumino relayouts on a resize message of its own
        self.page.evaluate(WAIT_FRAMES)

    def layout_problems(self, tolerance=LAYOUT_TOLERANCE):
        """Overlapping widget elements, clipped texts and truncated table cells in the outputs now."""
        return self.page.evaluate(LAYOUT_PROBLEMS, tolerance)

    def extent(self):
        """The notebook's content height and its scroller's visible height, in CSS px."""
        return self.page.evaluate(NOTEBOOK_EXTENT)

    def save_screens(self, folder):
        """Scroll through the notebook screen by screen, one PNG each: ``<stem>_screen<k>.png``.

        Returns the files and where the scroller went for each (``top``) and where it was
        asked to go (``wanted``); older screens of this notebook in ``folder`` are removed.
        """
        stem = Path(self.path).stem
        self._remove_pictures(folder, r"_screen\d+")
        extent = self.extent()
        count = max(1, math.ceil(extent["content"] / extent["visible"]))
        shots = []
        for k in range(count):
            wanted = k * extent["visible"]
            top = self.page.evaluate(SCROLL_NOTEBOOK, wanted)
            path = folder / f"{stem}_screen{k + 1}.png"
            self.page.screenshot(path=path, animations="disabled", caret="hide")
            shots.append({"path": path, "wanted": wanted, "top": top})
        self.page.evaluate(SCROLL_NOTEBOOK, 0)
        return shots

    def survey(self, folder):
        """Measure the notebook as Run All left it, before anything else touches it.

        Sets ``survey_extent`` (its length at 1280x800), ``screens`` (that length over the visible
        height), ``screen_shots`` (every screen saved in ``folder``) and ``layout``
        ({width: overlaps, clipped texts and truncated cells}, for each of ``LAYOUT_WIDTHS``);
        for a width with findings, each offending cell's outputs are saved as
        ``<stem>_<width>px_cell<n>.png`` beside the screens.
        """
        self.set_width(VIEWPORT["width"])
        self.page.evaluate(SCROLL_NOTEBOOK, 0)
        self.survey_extent = self.extent()
        self.screens = self.survey_extent["content"] / self.survey_extent["visible"]
        self.screen_shots = self.save_screens(folder)
        self.layout = {}
        self.layout_shots = {}
        self._remove_pictures(folder, r"_\d+px_cell\d+")
        try:
            for width in LAYOUT_WIDTHS:
                self.set_width(width)
                self.layout[width] = findings = self.layout_problems()
                numbers = sorted({f["cell"] for kind in ("overlaps", "clipped", "truncated") for f in findings[kind]})
                self.layout_shots[width] = [self._save_cell_outputs(folder, width, n) for n in numbers]
        finally:
            self.set_width(VIEWPORT["width"])
            self.page.evaluate(SCROLL_NOTEBOOK, 0)
        return self

    def _remove_pictures(self, folder, suffix):
        """This notebook's pictures from an earlier run (``<stem><suffix>.png``), so none is stale."""
        pattern = re.compile(re.escape(Path(self.path).stem) + suffix)
        for old in Path(folder).glob(f"{Path(self.path).stem}_*.png"):
            if pattern.fullmatch(old.stem):
                old.unlink()

    def _save_cell_outputs(self, folder, width, number):
        path = Path(folder) / f"{Path(self.path).stem}_{width}px_cell{number}.png"
        outputs = self.page.locator(".jp-Notebook .jp-Cell").nth(number - 1).locator(".jp-Cell-outputArea")
        try:
            outputs.screenshot(path=path, animations="disabled", caret="hide", timeout=10_000)
        except Exception as error:   # a picture is a courtesy; the findings are the report
            return f"(no picture: {str(error).splitlines()[0]})"
        return path

    def cell(self, text):
        """The code cell whose source contains ``text`` (a locator that stays on that cell when its source changes)."""
        cells = self.page.locator(".jp-Notebook .jp-CodeCell")
        sources = cells.locator(".cm-content").all_inner_texts()
        found = [i for i, source in enumerate(sources) if text in source]
        assert len(found) == 1, f"expected one code cell containing {text!r}, found {len(found)}"
        return cells.nth(found[0])

    def replace_cell_source(self, cell, source):
        """Click into a cell's editor, select everything and type ``source`` (as a learner would)."""
        editor = cell.locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(source)

    def screenshot(self, path, element=None, max_width=None, last=None):
        """A PNG of the window, or of ``element`` (down to the bottom of ``last`` if given),
        scrolled to the top of the notebook so that nothing overlaps it, in a 1280x1024
        window; the window goes back to 1280x800 afterwards."""
        self.page.set_viewport_size(SCREENSHOT_VIEWPORT)
        try:
            if element is None:
                self.page.screenshot(path=path, animations="disabled", caret="hide")
                return
            element.evaluate(SCROLL_TO_TOP)
            self.page.wait_for_timeout(100)
            box = element.bounding_box()
            bottom = box["y"] + box["height"]
            if last is not None:
                end = last.bounding_box()
                bottom = max(bottom, end["y"] + end["height"])
            pad = 6
            top, left = max(box["y"] - pad, 0), max(box["x"] - pad, 0)
            clip = {"x": left, "y": top,
                    "width": min(box["width"], max_width or box["width"]) + 2 * pad,
                    "height": min(bottom, SCREENSHOT_VIEWPORT["height"]) - top}
            self.page.screenshot(path=path, clip=clip, animations="disabled", caret="hide")
        finally:
            self.page.set_viewport_size(VIEWPORT)

    def save_failure(self, folder=None):
        """After a failure: a screenshot and the page's state, next to the other screenshots."""
        folder = Path(folder or self.failure_dir or tempfile.gettempdir())
        stem = Path(self.path).stem
        try:
            self.page.screenshot(path=folder / f"FAILED_{stem}.png")
            (folder / f"FAILED_{stem}.txt").write_text(
                f"state: {self.page.evaluate(RUN_STATE)}\nconsole errors: {self.console_errors}\n"
                f"page errors: {self.page_errors}\n\nserver log:\n{self.server.log_tail(60)}\n")
        except Exception:
            pass
        print(f"failure screenshot and page state saved in {folder}")

    def close(self):
        self.page.close()


class Dashboard:
    """The first output that holds sliders and an image widget: a lesson's dashboard."""

    SELECTOR = ".jp-OutputArea-output:has(img.widget-image):has(.widget-slider)"

    def __init__(self, notebook: NotebookPage):
        self.page = notebook.page
        self.root = self.page.locator(self.SELECTOR).first
        self.image = self.root.locator("img.widget-image").first
        self.readout = self.root.locator(".widget-html-content:has(table)").first
        self.sliders = self.root.locator(".widget-slider")

    def slider_labels(self):
        return [label.strip() for label in self.sliders.locator(".widget-label").all_inner_texts()]

    def state(self):
        return self.readout.inner_text(), self.image.get_attribute("src")

    def press(self, index, key, readout_timeout=5_000, image_timeout=5_000):
        """Focus slider ``index``'s handle, press ``key``; wait for the readout (then the figure) to change.

        Returns (readout changed, image changed, seconds until the readout changed).
        """
        handle = self.sliders.nth(index).locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        old_text, old_src = self.state()
        start = time.perf_counter()
        handle.press(key)
        readout_changed = image_changed = True
        try:
            self.page.wait_for_function("([el, old]) => el.innerText !== old",
                                        arg=[self.readout.element_handle(), old_text], polling="raf",
                                        timeout=readout_timeout)
        except Exception:
            readout_changed = False
        seconds = time.perf_counter() - start
        try:
            self.page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                        arg=[self.image.element_handle(), old_src], polling="raf",
                                        timeout=image_timeout)
        except Exception:
            image_changed = False
        return readout_changed, image_changed, seconds


def lesson_notebook(number):
    """notebooks/0N_*.ipynb, or None while that lesson does not exist."""
    found = sorted((REPO / "notebooks").glob(f"{number:02d}_*.ipynb"))
    return found[0].relative_to(REPO).as_posix() if found else None


LESSONS = (1, 2, 3, 4, 5, 6, 7, 8)   # the lessons with a dashboard and a question (test_lessons.py)


def course_notebooks():
    """Every notebook a learner opens, as found now: notebooks/*.ipynb, then exercises/*.ipynb."""
    return [path.relative_to(REPO).as_posix()
            for folder in COURSE_FOLDERS for path in sorted((REPO / folder).glob("*.ipynb"))]


def other_notebooks():
    """The course's notebooks that the ``lesson`` fixture does not open (lesson 0, the exercises ...)."""
    lessons = {lesson_notebook(number) for number in LESSONS}
    return [path for path in course_notebooks() if path not in lessons]


def notebook_label(path):
    """How the reports name a notebook: ``lesson 3`` for notebooks/03_*.ipynb, else its folder and stem."""
    path = Path(path)
    if path.parent.name == "notebooks" and path.stem[:2].isdigit():
        return f"lesson {int(path.stem[:2])}"
    return f"{path.parent.name.removesuffix('s')} {path.stem}"


# --------------------------------------------------------------------------- fixtures

SCREENS_FOLDER = pytest.StashKey[Path]()


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium (Playwright)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def pytest_generate_tests(metafunc):
    """A test that asks for ``layout_width`` runs once for each of ``LAYOUT_WIDTHS``."""
    if "layout_width" in metafunc.fixturenames:
        metafunc.parametrize("layout_width", LAYOUT_WIDTHS, ids=[f"{width}px" for width in LAYOUT_WIDTHS])


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server over a temporary copy of notebooks/ and exercises/."""
    require_browser()
    server = LabServer(tmp_path_factory.mktemp("lab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A headless Chromium context with a fresh profile (Playwright, Debian's binary)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_browser(playwright, tmp_path_factory.mktemp("chromium-profile"))
        yield context
        context.close()


@contextmanager
def run_and_survey(path, lab, browser, failures, screens_folder):
    """Open ``path`` in JupyterLab, Run All Cells, survey it (``NotebookPage.survey``); close it after."""
    notebook = NotebookPage(browser, lab, path)
    notebook.failure_dir = failures
    notebook.label = notebook_label(path)
    try:
        try:
            notebook.open()
            notebook.run_seconds = notebook.run_all()
            notebook.survey(screens_folder)
        except Exception:
            notebook.save_failure()
            raise
        yield notebook
    finally:
        notebook.close()
        lab.shutdown_session(path)


# Session-scoped, so test_lessons.py and test_layout.py share one Run All per lesson: pytest
# runs all the tests of one lesson together, and the survey is taken before any of them.
@pytest.fixture(scope="session", params=LESSONS, ids=[f"lesson{n}" for n in LESSONS])
def lesson(request, lab, browser, failures, screens_folder):
    """A lesson notebook opened in JupyterLab with all its cells run (Run > Run All Cells), surveyed."""
    number = request.param
    path = lesson_notebook(number)
    if path is None:
        pytest.skip(f"notebooks/{number:02d}_*.ipynb does not exist yet (lesson {number} is still being written)")
    with run_and_survey(path, lab, browser, failures, screens_folder) as notebook:
        notebook.number = number
        yield notebook


@pytest.fixture(scope="session", params=other_notebooks(), ids=[Path(p).stem for p in other_notebooks()])
def course_notebook(request, lab, browser, failures, screens_folder):
    """Any other notebook of the course (lesson 0, each exercise), run and surveyed like a lesson."""
    with run_and_survey(request.param, lab, browser, failures, screens_folder) as notebook:
        yield notebook


@pytest.fixture
def layout_problems():
    """The layout check as a function of any Playwright page (test_layout.py plants defects in one)."""
    return lambda page, tolerance=LAYOUT_TOLERANCE: page.evaluate(LAYOUT_PROBLEMS, tolerance)


@pytest.fixture
def dashboard(lesson):
    """The lesson's dashboard (its first output with sliders and a figure)."""
    board = Dashboard(lesson)
    board.root.wait_for(timeout=10_000)
    return board


@pytest.fixture
def open_notebook(lab, browser, failures):
    """Open a notebook of the course copy (path relative to it) and wait for its idle kernel."""
    opened = []

    def open_(path):
        notebook = NotebookPage(browser, lab, path)
        notebook.failure_dir = failures
        opened.append(notebook)
        return notebook.open()

    open_.opened = opened
    yield open_
    for notebook in opened:
        notebook.close()
        lab.shutdown_session(notebook.path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, keep a screenshot of its page and the page's state."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    pages = [funcargs[name] for name in ("lesson", "course_notebook") if name in funcargs]
    pages += getattr(funcargs.get("open_notebook"), "opened", [])
    for notebook in pages:
        notebook.save_failure()


@pytest.fixture(scope="session")
def failures(tmp_path_factory):
    """Where a failed test's page screenshot and state go (pytest's temporary folder)."""
    return tmp_path_factory.mktemp("browser-failures")


def chosen_screenshots_folder():
    """MARGINCOURSE_SCREENSHOTS as an absolute path (relative to the repository), or None."""
    chosen = os.environ.get("MARGINCOURSE_SCREENSHOTS")
    if not chosen:
        return None
    folder = Path(chosen)
    return folder if folder.is_absolute() else REPO / folder


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where screenshots go: MARGINCOURSE_SCREENSHOTS, else a temporary folder."""
    folder = chosen_screenshots_folder() or tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def screens_folder(request, tmp_path_factory):
    """Where every screen of every notebook goes: MARGINCOURSE_SCREENSHOTS, else a temporary
    folder; never the README's committed tests/browser/screenshots/ (they are not derived files)."""
    folder = chosen_screenshots_folder()
    committed = Path(__file__).parent / "screenshots"
    if folder is None or folder.resolve() == committed.resolve():
        folder = tmp_path_factory.mktemp("screens")
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENS_FOLDER] = folder
    return folder


# --------------------------------------------------------------------------- the run's summary

def pytest_terminal_summary(terminalreporter, config):
    """Each notebook's length in screens and its layout findings, from test_layout.py's reports."""
    lengths, layouts = {}, {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "margincourse_screens":
                    lengths[value["path"]] = value
                elif name == "margincourse_layout":
                    layouts[(value["path"], value["width"])] = value
    if not lengths and not layouts:
        return
    order = {path: index for index, path in enumerate(course_notebooks())}
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "notebooks in the browser: length and layout after Run All")
    for path in sorted(lengths, key=lambda p: order.get(p, len(order))):
        value = lengths[path]
        limit = f" (at most {value['limit']})" if value.get("limit") else ""
        folded = f", {value['details']} <details> left collapsed" if value["details"] else ""
        write(f"{notebook_label(path)}: {value['screens']:.1f} screens{limit}{folded}")
    for (path, width) in sorted(layouts, key=lambda k: (order.get(k[0], len(order)), k[1])):
        value = layouts[(path, width)]
        if value["overlaps"] or value["clipped"] or value["truncated"]:
            write(f"{notebook_label(path)} at {width} px: {value['overlaps']} overlapping pairs, "
                  f"{value['clipped']} clipped texts, {value['truncated']} truncated table cells")
    if layouts and not any(v["overlaps"] or v["clipped"] or v["truncated"] for v in layouts.values()):
        write(f"layout: no overlap, clipped text or truncated table cell at {', '.join(map(str, LAYOUT_WIDTHS))} px")
    if SCREENS_FOLDER in config.stash:
        write(f"every screen (<notebook>_screen<k>.png, 1280x800) is in {config.stash[SCREENS_FOLDER]}")
