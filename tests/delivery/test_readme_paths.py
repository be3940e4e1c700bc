"""Every way into the course the README names is real: the files each path reads agree, the
commands it shows exist, and each path names a test that exists (the tests themselves are
tests/test_wheel.py, tests/delivery/, tests/test_packaging.py, tests/test_cli.py)."""

import re
import tomllib
from io import StringIO
from pathlib import Path

import pytest

from margincourse.cli import build_parser, main
from margincourse.course import links

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _name(requirement):
    return re.split(r"[<>=!~\[ ;,]", requirement.strip(), maxsplit=1)[0].lower()


def _section(title):
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _environment():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def test_each_way_in_names_a_test_that_exists():
    ways = _section("Other ways to take the course")
    named = re.findall(r"`(tests/[\w/]+\.py)`", ways)
    assert len(named) >= 7
    assert [path for path in named if not (ROOT / path).is_file()] == []


def test_every_margincourse_command_the_readme_and_docs_show_exists():
    commands = build_parser()._subparsers._group_actions[0].choices
    texts = [README] + [(ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("jupyterhub.md", "publishing.md")]
    shown = {m for text in texts for m in re.findall(r"(?:^|`|\$ |&& )margincourse ([a-z][a-z-]+)", text, flags=re.M)}
    assert {"start", "doctor", "site", "links", "lab"} <= shown
    assert sorted(shown - set(commands)) == []


def test_binder_builds_from_the_root_environment_yml_with_the_package_installed():
    # repo2docker looks in binder/ or .binder/ first and then ignores the root; neither may exist.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    environment = _environment()
    assert "conda-forge" in environment["channels"]
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip   # the package, with the notebooks of the checkout Binder opens
    assert {"jupyterlab", "ipywidgets", "python"} <= {_name(d) for d in conda}
    # No postBuild: JupyterLab 4 takes the widget extension prebuilt from jupyterlab_widgets,
    # which ipywidgets 8 requires; a postBuild, if one is added, must be runnable.
    post_build = ROOT / "postBuild"
    assert not post_build.exists() or post_build.stat().st_mode & 0o111
    assert "postBuild" in README and "no `postBuild` needed" in README


def test_the_binder_link_opens_a_notebook_the_repository_has():
    url = links.binder_url("some-school/margincourse")
    opened = re.search(r"urlpath=lab%2Ftree%2F(.*)$", url).group(1).replace("%2F", "/")
    assert (ROOT / opened).is_file()


def test_conda_environment_name_is_the_one_the_readme_activates():
    assert _environment()["name"] == "margincourse"
    assert "conda activate margincourse" in README


def test_the_readme_test_command_installs_what_the_site_needs():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {_name(r) for r in extras["site"]} <= {_name(r) for r in extras["test"]}
    environment = {_name(d) for d in _environment()["dependencies"] if isinstance(d, str)}
    assert {_name(r) for r in extras["site"]} <= environment
    assert 'pip install -e ".[test]"' in _section("Quick start")


def test_the_jupyterhub_command_of_the_readme_prints_an_nbgitpuller_link():
    command = re.search(r"`margincourse (links --hub https://your\.hub)`", README).group(1).split()
    out = StringIO()
    assert main([*command, "--repo", "some-school/margincourse"], out=out) == 0
    assert ("https://your.hub/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fsome-school%2Fmargincourse"
            in out.getvalue())
