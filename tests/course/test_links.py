"""One-click links: Binder badge and nbgitpuller link (margincourse/course/links.py)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.course.links import (
    binder_badge,
    binder_url,
    github_repository,
    nbgitpuller_url,
    origin_repository,
    readme_with_badge,
)


@pytest.mark.parametrize("address", [
    "someone/margincourse", "https://github.com/someone/margincourse", "https://github.com/someone/margincourse/",
    "https://github.com/someone/margincourse.git", "git@github.com:someone/margincourse.git",
    "ssh://git@github.com/someone/margincourse.git", "  someone/margincourse\n",
])
def test_every_common_form_of_a_github_address(address):
    repo = github_repository(address)
    assert (repo.owner, repo.name, repo.url) == ("someone", "margincourse", "https://github.com/someone/margincourse")


@pytest.mark.parametrize("address", [
    "margincourse", "https://gitlab.com/someone/margincourse", "someone/margin course", "-bad/name",
    "someone/..", "https://github.com/someone", "", None, 42,
])
def test_a_non_github_address_is_refused_by_name(address):
    with pytest.raises(MarginInputError, match="repo must be a GitHub"):
        github_repository(address)


def test_the_nbgitpuller_link_decodes_to_what_nbgitpuller_expects():
    """nbgitpuller reads repo, urlpath (relative to the home, through the clone's folder) and branch."""
    link = nbgitpuller_url("https://hub.example.edu/jupyter/", "someone/margincourse", branch="spring-2027")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu",
                                                        "/jupyter/hub/user-redirect/git-pull")
    assert parse_qs(parts.query) == {
        "repo": ["https://github.com/someone/margincourse"],
        "urlpath": ["lab/tree/margincourse/notebooks/00_start_here.ipynb"],
        "branch": ["spring-2027"],
    }


def test_the_binder_link_opens_the_start_here_lesson_in_jupyterlab():
    parts = urlsplit(binder_url("someone/margincourse"))
    assert parts.netloc == "mybinder.org" and parts.path == "/v2/gh/someone/margincourse/main"
    assert parse_qs(parts.query) == {"urlpath": ["lab/tree/notebooks/00_start_here.ipynb"]}
    assert binder_badge("someone/margincourse").endswith(f"({binder_url('someone/margincourse')})")


@pytest.mark.parametrize("hub", ["hub.example.edu", "ftp://hub.example.edu", "https://", "https://h.edu/?x=1", None])
def test_a_hub_that_is_not_a_web_address_is_refused(hub):
    with pytest.raises(MarginInputError, match="hub must be the JupyterHub's address"):
        nbgitpuller_url(hub, "a/b")


@pytest.mark.parametrize("branch", ["", "a..b", "/main", "main/", "x.lock", "has space", None])
def test_a_bad_branch_is_refused(branch):
    with pytest.raises(MarginInputError, match="branch must be a git branch name"):
        binder_url("a/b", branch=branch)


@pytest.mark.parametrize("path", ["/etc/passwd", "../secret.ipynb", "", None])
def test_a_path_outside_the_course_is_refused(path):
    with pytest.raises(MarginInputError, match="path must be a file inside the course"):
        binder_url("a/b", path=path)


def test_origin_remote_is_read_from_git(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert origin_repository(tmp_path) is None
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:school/course.git"],
                   check=True)
    assert origin_repository(tmp_path) == github_repository("school/course")


def test_readme_badge_replaces_an_old_one_and_keeps_everything_else():
    old = "# course\n\n[![Binder](https://mybinder.org/badge_logo.svg)](https://old)\n\nText.\n"
    new = readme_with_badge(old, "[![Binder](https://mybinder.org/badge_logo.svg)](https://new)")
    assert new == old.replace("https://old", "https://new")
    with pytest.raises(MarginInputError, match="readme must start with a '# title' line"):
        readme_with_badge("no title here\n", "badge")


def test_a_readme_badge_if_present_opens_a_notebook_that_exists():
    """Once the course is published, its README badge must open a notebook the repository has."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for line in (root / "README.md").read_text(encoding="utf-8").splitlines():
        if "mybinder.org/badge_logo.svg" in line:
            target = line.rsplit("](", 1)[1].rstrip(")")
            path = parse_qs(urlsplit(target).query)["urlpath"][0].removeprefix("lab/tree/")
            assert (root / path).is_file(), f"the README's Binder badge opens {path}, which does not exist"
