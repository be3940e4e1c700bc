"""The one build step pyproject.toml cannot say: the course's notebooks go into the wheel.

The lessons (``notebooks/*.ipynb``) and the exercises (``exercises/*.ipynb``, not the
solutions), and the page on running the course for a class (``docs/jupyterhub.md``) live once in git, at the top of the repository where the course is worked on.
At build time they are copied into the package as ``margincourse/course_files/``, which is
where ``margincourse start`` finds them in an installed wheel. An editable install
(``pip install -e .``) skips the copy: the package then runs from the checkout and
``margincourse.delivery.workspace.shipped_course`` finds the notebooks beside it.
Everything else about the build is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# folder -> what of it ships; docs/jupyterhub.md becomes a page of the book `margincourse site` builds
SHIPPED = {"notebooks": "*.ipynb", "exercises": "*.ipynb", "docs": "jupyterhub.md"}


class build_py_with_course(build_py):
    """``build_py``, then the course notebooks copied under ``margincourse/course_files/``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "margincourse" / "course_files"
        for folder, pattern in SHIPPED.items():
            notebooks = sorted((HERE / folder).glob(pattern))
            if not notebooks:
                raise SystemExit(f"building margincourse needs {folder}/{pattern} beside setup.py; none found in {HERE}")
            self.mkpath(str(target / folder))
            for notebook in notebooks:
                self.copy_file(str(notebook), str(target / folder / notebook.name))


setup(cmdclass={"build_py": build_py_with_course})
