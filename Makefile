# Everything derived in this repository, rebuilt from its source. CONTRIBUTING.md has the table
# derived file -> source -> target; tests/test_contributing.py keeps the two in step.
#
#   make exercises      exercise notebooks from the solutions and the answer keys (also executes them)
#   make notebooks      execute the lessons and solutions top to bottom (the outputs nbval compares)
#   make benchmarks     every table in benchmarks/results/
#   make screenshots    the browser tests' screenshots (README and docs show them)
#   make all            exercises and notebooks: what a lesson or exercise change needs
#   make test           the README's test command
#
# PYTHON is the course's environment (the quick start's .venv by default).

PYTHON ?= .venv/bin/python
MARGINCOURSE ?= $(PYTHON) -m margincourse.cli

.PHONY: all exercises notebooks benchmarks screenshots test \
        bench-engine bench-dashboards bench-notebooks bench-grading bench-grading-no-sandbox bench-class bench-browser

all: notebooks exercises

notebooks:
	$(PYTHON) tools/run_notebooks.py notebooks/*.ipynb solutions/*.ipynb

exercises:
	$(MARGINCOURSE) make-exercises

benchmarks: bench-engine bench-dashboards bench-notebooks bench-grading bench-grading-no-sandbox bench-class bench-browser

bench-engine:
	$(PYTHON) benchmarks/bench_engine.py --out benchmarks/results/engine.md

bench-dashboards:
	$(PYTHON) benchmarks/bench_dashboards.py --out benchmarks/results/dashboards.md

bench-notebooks:
	$(PYTHON) benchmarks/bench_notebooks.py --out benchmarks/results/notebooks.md

bench-grading:
	$(PYTHON) benchmarks/bench_grading.py --sandbox on --out benchmarks/results/grading.md

bench-grading-no-sandbox:
	$(PYTHON) benchmarks/bench_grading.py --sandbox off --out benchmarks/results/grading_no_sandbox.md

bench-class:
	$(PYTHON) benchmarks/bench_class.py --count 200 --out benchmarks/results/class.md

bench-browser:
	$(PYTHON) benchmarks/bench_browser.py --out benchmarks/results/browser.md

screenshots:
	MARGINCOURSE_SCREENSHOTS=tests/browser/screenshots $(PYTHON) -m pytest tests/browser

test:
	$(PYTHON) -m pytest
