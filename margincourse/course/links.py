"""One-click links to the course: a Binder badge and an nbgitpuller link for a class JupyterHub.

Both links name where the course lives on GitHub, so they are built here from that
address rather than typed by hand (an nbgitpuller link is three URLs nested in one
and easy to get wrong).

* **Binder** (mybinder.org): ``https://mybinder.org/v2/gh/<owner>/<name>/<branch>``
  builds the repository with repo2docker, which reads the root ``environment.yml``;
  ``?urlpath=lab/tree/<path>`` opens a notebook in JupyterLab (Binder's documentation,
  "Getting started: open a notebook in JupyterLab", and the binder-examples/jupyterlab
  repository). The badge image is ``https://mybinder.org/badge_logo.svg``.
* **nbgitpuller** on a JupyterHub: ``<hub>/hub/user-redirect/git-pull?repo=..&urlpath=..&branch=..``
  with the parameters form-encoded; ``urlpath`` is relative to the learner's home, so it
  starts with the folder the clone makes, named after the repository
  (nbgitpuller documentation, "Options in an nbgitpuller URL", and its link generator,
  ``docs/_static/link_gen/link.js``, ``generateRegularUrl``).

>>> repo = github_repository("https://github.com/example-org/margincourse.git")
>>> repo
GitHubRepository(owner='example-org', name='margincourse')
>>> binder_url(repo)
'https://mybinder.org/v2/gh/example-org/margincourse/main?urlpath=lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb'
>>> nbgitpuller_url("https://hub.example.edu", repo)  # doctest: +ELLIPSIS
'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fexample-org%2Fmargincourse&urlpath=lab%2Ftree%2Fmargincourse%2Fnotebooks%2F00_start_here.ipynb&branch=main'
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ..basics.errors import MarginInputError

START_HERE = "notebooks/00_start_here.ipynb"
BINDER = "https://mybinder.org"
BADGE_IMAGE = "https://mybinder.org/badge_logo.svg"

# GitHub's rules: an owner is letters, digits and single hyphens (at most 39 characters);
# a repository name is letters, digits, '.', '_' and '-' (at most 100 characters).
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?"
_NAME = r"[A-Za-z0-9._-]{1,100}"
_FORMS = (
    re.compile(rf"^(?P<owner>{_OWNER})/(?P<name>{_NAME})$"),  # owner/name
    re.compile(rf"^(?:https?://|git://|ssh://git@)github\.com[/:](?P<owner>{_OWNER})/(?P<name>{_NAME})/?$"),
    re.compile(rf"^git@github\.com:(?P<owner>{_OWNER})/(?P<name>{_NAME})$"),  # scp-like ssh
)
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}(?<!/)(?<!\.lock)$")


@dataclass(frozen=True)
class GitHubRepository:
    """Where a copy of the course lives on GitHub."""

    owner: str
    name: str

    @property
    def url(self) -> str:
        """The repository's web and clone address, ``https://github.com/<owner>/<name>``."""
        return f"https://github.com/{self.owner}/{self.name}"


def github_repository(address) -> GitHubRepository:
    """Read ``owner/name``, ``https://github.com/owner/name(.git)`` or ``git@github.com:owner/name.git``.

    >>> github_repository("git@github.com:someone/course.git").url
    'https://github.com/someone/course'
    """
    if isinstance(address, GitHubRepository):
        return address
    if not isinstance(address, str):
        raise MarginInputError(f"repo must be a GitHub address such as owner/name, got {address!r}")
    text = address.strip()
    if text.endswith(".git"):
        text = text[:-4]
    for form in _FORMS:
        found = form.match(text)
        if found and found["name"] not in (".", ".."):
            return GitHubRepository(found["owner"], found["name"])
    raise MarginInputError(
        "repo must be a GitHub repository as owner/name, https://github.com/owner/name or "
        f"git@github.com:owner/name.git, got {address!r}"
    )


def _check_branch(branch) -> str:
    if not isinstance(branch, str) or not _BRANCH.match(branch):
        raise MarginInputError(f"branch must be a git branch name such as main, got {branch!r}")
    return branch


def _check_path(path) -> str:
    text = str(path).replace("\\", "/") if isinstance(path, (str, Path)) else None
    if not text or text.startswith("/") or ".." in text.split("/"):
        raise MarginInputError(
            f"path must be a file inside the course, relative to its root, such as {START_HERE}, got {path!r}")
    return text


def binder_url(repo, branch="main", path=START_HERE) -> str:
    """The mybinder.org address that builds the course and opens ``path`` in JupyterLab."""
    repo = github_repository(repo)
    branch = _check_branch(branch)
    query = urlencode({"urlpath": f"lab/tree/{_check_path(path)}"})
    return f"{BINDER}/v2/gh/{repo.owner}/{repo.name}/{branch}?{query}"


def binder_badge(repo, branch="main", path=START_HERE) -> str:
    """The Markdown of a "launch binder" badge that opens ``path`` on Binder.

    >>> binder_badge("someone/course")  # doctest: +ELLIPSIS
    '[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/someone/course/main?urlpath=...)'
    """
    return f"[![Binder]({BADGE_IMAGE})]({binder_url(repo, branch, path)})"


def nbgitpuller_url(hub, repo, branch="main", path=START_HERE) -> str:
    """The link that clones (then updates) the course into a learner's home on ``hub`` and opens ``path``.

    nbgitpuller merges later updates without overwriting what the learner changed.
    """
    if not isinstance(hub, str):
        raise MarginInputError(f"hub must be the JupyterHub's address such as https://hub.example.edu, got {hub!r}")
    parts = urlsplit(hub.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise MarginInputError(f"hub must be the JupyterHub's address such as https://hub.example.edu, got {hub!r}")
    repo = github_repository(repo)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    query = urlencode({
        "repo": repo.url,
        "urlpath": f"lab/tree/{repo.name}/{_check_path(path)}",
        "branch": _check_branch(branch),
    })
    return f"{base}/hub/user-redirect/git-pull?{query}"


def origin_repository(course: Path):
    """The GitHub repository of the course folder's ``origin`` remote, or None if it has none on GitHub."""
    try:
        result = subprocess.run(["git", "-C", str(course), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    try:
        return github_repository(result.stdout.strip())
    except MarginInputError:
        return None


_BADGE_LINE = re.compile(r"^\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\(.*\)\s*$")


def readme_with_badge(readme_text: str, badge: str) -> str:
    """The README text with ``badge`` on the line under its title, replacing an older Binder badge.

    Everything else in the file is kept as it was.

    >>> print(readme_with_badge("# course\\n\\nText.\\n", "[![Binder](https://mybinder.org/badge_logo.svg)](x)"))
    # course
    <BLANKLINE>
    [![Binder](https://mybinder.org/badge_logo.svg)](x)
    <BLANKLINE>
    Text.
    <BLANKLINE>
    """
    lines = readme_text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if _BADGE_LINE.match(line):
            lines[i] = badge + "\n"
            return "".join(lines)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "".join(lines[: i + 1] + ["\n", badge + "\n"] + lines[i + 1:])
    raise MarginInputError("readme must start with a '# title' line to put the badge under, none found")
