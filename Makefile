# Two commands do all the set-up (see README):  `make lab`  and  `make test`.
#
# The interpreter every target uses: the active virtual environment (VIRTUAL_ENV) or conda environment
# (CONDA_PREFIX); with neither, a project-local .venv, made on first use with $(PYTHON). Systems whose own
# Python refuses `pip install` (PEP 668: Debian 12, Ubuntu 23.04+, Homebrew) are never installed into.
# `make lab PY=python3` uses an interpreter of your choice as it is (e.g. Colab, a JupyterHub image).
PYTHON ?= python3
ifneq ($(VIRTUAL_ENV),)
  PY ?= $(VIRTUAL_ENV)/bin/python
else ifneq ($(CONDA_PREFIX),)
  PY ?= $(CONDA_PREFIX)/bin/python
else
  PY ?= .venv/bin/python
endif
# torch: an environment whose torch satisfies requirements.txt (>=2.11) keeps it (a CUDA build, Colab, a JupyterHub
# image); any other gets torch==2.13.0, the version CI installs as a CPU wheel (an unbounded `torch` would pull the
# newest, a multi-GB CUDA build on Linux). Override: TORCH=...
TORCH ?= $(shell $(PY) -c "import sys, torch; sys.exit(tuple(map(int, torch.__version__.split('.')[:2])) < (2, 11))" \
           >/dev/null 2>&1 && echo torch || echo torch==2.13.0)
# Extra arguments for JupyterLab, e.g. `make lab LAB_ARGS="--no-browser --port=8890"`.
LAB_ARGS ?=

.PHONY: env setup lab setup-test test test-helpers colab-env colab-test notebooks site

# Make the project-local .venv when no environment is active, and say which interpreter is used.
env:
	@if [ "$(PY)" = ".venv/bin/python" ] && [ ! -x .venv/bin/python ]; then \
	  command -v $(PYTHON) >/dev/null || { echo "No Python found: install Python 3.10 or newer (or set PYTHON=...)."; exit 1; }; \
	  $(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 10))" || \
	    { echo "$(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'): the course needs 3.10 or newer (set PYTHON=python3.12, say)."; exit 1; }; \
	  $(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 || \
	    { v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	      echo "$(PYTHON) cannot make a virtual environment: its venv module (with ensurepip) is missing."; \
	      echo "Install it (Debian/Ubuntu: sudo apt-get install python3-venv, or python$$v-venv for this Python),"; \
	      echo "or activate an environment of your own (python -m venv, conda) and run make again."; exit 1; }; \
	  echo "No virtual or conda environment is active: making a project-local one in .venv (git ignores it)."; \
	  $(PYTHON) -m venv .venv || { rm -rf .venv; exit 1; }; \
	fi
	@[ -x "$(PY)" ] || command -v "$(PY)" >/dev/null || { echo "$(PY) not found (set PY=... or activate an environment)."; exit 1; }
	@echo "Using $(PY) (Python $$($(PY) -c 'import platform; print(platform.python_version())'))$(if $(filter .venv/bin/python,$(PY)), — no environment is active; activate your own to install there instead,)."

setup: env
	$(PY) -m pip install "$(TORCH)" -r requirements.txt

# JupyterLab on notebooks/ with a Python 3 kernel from the same environment (--allow-root when run as root).
lab: setup
	$(PY) -m jupyterlab $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS) notebooks/

setup-test: env
	$(PY) -m pip install "$(TORCH)" -r requirements-test.txt
	@# Debian's Chromium for the browser test (Playwright's own browser download is not used).
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	    else echo "Chromium not found: install it (e.g. sudo apt-get install chromium) to run the browser test"; fi; }
	@# npm fetches reveal.js for the offline slide-deck test (tests/test_classroom.py).
	@command -v npm >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	    else echo "npm not found: install Node.js and npm to run the offline slide-deck test"; fi; }

# Everything CI runs (tools/ci.py): install both environments side by side; then, side by side, pytest here (unit
# tests, nbval over the five notebooks with their worked solutions, browser tests) and, in Colab's versions, the
# five notebooks, the widget tests, nbgrader against make student / make grade, and the classroom check. Prints the
# time of each step. pytest's exit status 5 (no tests collected) fails too.
test: env
	$(PY) tools/ci.py --make "$(MAKE)" --py "$(PY)"

# Only the fast unit tests of helpers/ (no notebooks).
test-helpers: setup-test
	$(PY) -m pytest tests -p no:nbval -o addopts="-ra" -m "not browser and not nbgrader"

# A second environment, .venv-colab, pinned to Colab's published runtime (tools/colab-requirements.txt), with
# torch==2.13.0 CPU and the course's own helpers NOT installed. Kept between runs while its inputs are unchanged.
colab-env: env
	$(PY) tools/colab_env.py

# nbval in it over each notebook once (its Chinese twin where one exists; each worked solution against its check
# after it), importing helpers as the Colab set-up cell does, with strict claims and CPU kernels held to AVX2; then
# the widget unit tests under its ipywidgets 7.7.1. (`make test` runs the same steps.)
colab-test: colab-env
	.venv-colab/bin/python tools/run_notebooks.py
	.venv-colab/bin/python -m pytest tests/test_widgets.py -p no:nbval -p no:cacheprovider -o addopts="-ra"

# The course as a website in build/site/ (tools/website/build.py): the committed notebooks (never re-executed), the
# README as the course map, the teacher's guide and data/README.md, with Sphinx + MyST-NB and the book theme, warnings
# as errors; it builds and displays offline. Needs requirements-site.txt (in requirements-test.txt). Open
# build/site/index.html, or serve it: python -m http.server -d build/site. The GitHub Pages workflow runs the same.
site:
	$(PY) tools/website/build.py

# Rebuild every notebook from its source in notebooks/src and execute it (regenerates committed outputs).
notebooks: setup-test
	$(PY) notebooks/build.py

# --- classroom edition (tools/classroom.py; teacher's guide: notebooks/TEACHERS.md) ---------------------------
# `make student`: build/student/, the course with every worked solution removed (nbgrader's conventions);
# `make student REPO=owner/name` points the notebooks' Colab links at the class's own copy on GitHub.
# `make grade SUBMISSIONS=folder`: each submission's answers against the locked checks, the rest of its notebook run
# once for the class (tools/course/grading.py); build/grades.csv + a table. TIME_LIMIT: seconds per submission.
# `make slides`: build/slides/NN_name.slides.html (reveal.js from its CDN; `make slides OFFLINE=1` copies it beside
# the decks from the npm registry, for a room without internet).
# `make nbgrader`: build/nbgrader/, an nbgrader course folder (the teacher's editions in source/, the course's config).
# `make classroom-check`: CI - the exercise format, no solution text in the student edition, the five decks build.
SUBMISSIONS ?= submissions
TIME_LIMIT ?= 120
.PHONY: student grade slides nbgrader classroom-check

student:
	$(PY) tools/classroom.py student $(if $(REPO),--repo "$(REPO)",)

grade:
	$(PY) tools/classroom.py grade "$(SUBMISSIONS)" --time-limit $(TIME_LIMIT)

slides:
	$(PY) tools/classroom.py slides $(if $(OFFLINE),--offline,)

nbgrader:
	$(PY) tools/classroom.py nbgrader

classroom-check:
	$(PY) tools/classroom.py check
