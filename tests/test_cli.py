"""The margincourse command line."""

import io
import json
import subprocess
import sys

import pytest

from margincourse.cli import main


def run(*args):
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_liq_prints_the_figures():
    code, text = run("liq", "--side", "long", "--entry", "50000", "--size", "0.02", "--leverage", "10")
    assert code == 0
    assert "initial margin           100.00 USDT" in text
    assert "liquidation price        45,180.72 USDT  (-9.64 % from entry; 45,180.70 on the tick)" in text
    assert "bankruptcy price         45,000.00 USDT" in text


def test_liq_json_for_scripts():
    code, text = run("liq", "--side", "short", "--entry", "50000", "--size", "0.1", "--leverage", "50",
                     "--mode", "cross", "--balance", "1000", "--json")
    figures = json.loads(text)
    assert code == 0 and figures["liquidation_price"] == pytest.approx(59_760.96, abs=0.01)
    assert figures["collateral"] == 1_000


def test_liq_reports_unreachable_liquidation():
    code, text = run("liq", "--side", "long", "--entry", "50000", "--size", "0.02", "--leverage", "1")
    assert "none: the price would have to fall below zero" in text


def test_liq_bad_input_is_a_clear_error(capsys):
    code, _ = run("liq", "--side", "long", "--entry", "50000", "--size", "0.02", "--leverage", "200")
    assert code == 2
    assert "leverage must be between 1 and 125" in capsys.readouterr().err


def test_tiers_table():
    code, text = run("tiers", "ETHUSDT")
    assert code == 0 and "ETHUSDT risk tiers on Binance" in text and "125x" in text


def test_installed_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "margincourse.cli", "liq", "--side", "long", "--entry", "60000",
         "--size", "0.01", "--leverage", "20"], capture_output=True, text=True, check=True,
    )
    assert "BTCUSDT long, isolated, 20x" in result.stdout


def test_lab_opens_the_start_here_lesson(tmp_path, monkeypatch):
    code, text = run("lab", "--dry-run")
    assert code == 0
    assert "-m jupyterlab --ServerApp.root_dir=" in text and text.strip().endswith("notebooks/00_start_here.ipynb")
    monkeypatch.chdir(tmp_path)
    code, text = run("lab", "--dry-run", "--", "--no-browser")
    assert code == 0 and text.strip().endswith("--no-browser")


def test_lab_falls_back_to_the_package_course_folder(tmp_path, capsys):
    code, _ = run("lab", "--dry-run", "--course", str(tmp_path))
    # falls back to the package's own course folder when the given one has no lessons
    assert code == 0


def test_links_prints_binder_badge_and_nbgitpuller_link():
    code, text = run("links", "--repo", "https://github.com/some-school/margincourse.git",
                     "--hub", "https://hub.example.edu/", "--path", "exercises/ex01_initial_margin.ipynb")
    assert code == 0
    assert ("Binder link:       https://mybinder.org/v2/gh/some-school/margincourse/main"
            "?urlpath=lab%2Ftree%2Fexercises%2Fex01_initial_margin.ipynb") in text
    assert "README badge:      [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/" in text
    assert ("JupyterHub link:   https://hub.example.edu/hub/user-redirect/git-pull?"
            "repo=https%3A%2F%2Fgithub.com%2Fsome-school%2Fmargincourse"
            "&urlpath=lab%2Ftree%2Fmargincourse%2Fexercises%2Fex01_initial_margin.ipynb&branch=main") in text


def test_links_without_a_github_origin_asks_for_the_repo(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("margincourse.course.links.origin_repository", lambda course: None)
    code, _ = run("links")
    assert code == 2
    assert "repo must be given as --repo owner/name" in capsys.readouterr().err


def test_links_refuses_a_notebook_the_course_does_not_have(capsys):
    code, _ = run("links", "--repo", "a/b", "--path", "notebooks/99_missing.ipynb")
    assert code == 2
    assert "path must be a notebook of the course" in capsys.readouterr().err


def test_links_update_readme_adds_then_replaces_the_badge(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# margincourse\n\nAn open-source course.\n", encoding="utf-8")
    assert run("links", "--repo", "a/old", "--update-readme", str(readme))[0] == 0
    assert run("links", "--repo", "b/new", "--update-readme", str(readme))[0] == 0
    text = readme.read_text(encoding="utf-8")
    assert text.count("badge_logo.svg") == 1 and "/v2/gh/b/new/main?" in text
    assert text.startswith("# margincourse\n\n[![Binder]") and text.endswith("\nAn open-source course.\n")
