# Two commands do all the set-up (see README):  `make lab`  and  `make test`.
# TORCH pins the CPU wheel on a fresh Linux machine; `make lab TORCH=torch` keeps a torch you already have.
PY ?= python3
TORCH ?= torch==2.13.0

.PHONY: setup lab setup-test test test-helpers notebooks widgets-ipywidgets7 browser

setup:
	$(PY) -m pip install "$(TORCH)" -r requirements.txt

lab: setup
	$(PY) -m jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

setup-test:
	$(PY) -m pip install "$(TORCH)" -r requirements-test.txt
	@# Debian's Chromium for the browser test (Playwright's own browser download is not used).
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	    else echo "Chromium not found: install it (e.g. sudo apt-get install chromium) to run the browser test"; fi; }

# Everything CI runs: install, widget tests under ipywidgets 7.7.1, then helpers + nbval (+ browser test).
test: setup-test widgets-ipywidgets7
	$(PY) -m pytest

# Only the fast unit tests of helpers/ (no notebooks).
test-helpers:
	$(PY) -m pytest tests -p no:nbval -o addopts="-ra" -m "not browser"

# The widget unit tests again in a throw-away environment with Colab's ipywidgets 7.7.1.
widgets-ipywidgets7:
	rm -rf .venv-ipywidgets7
	$(PY) -m venv --system-site-packages .venv-ipywidgets7
	.venv-ipywidgets7/bin/python -m pip install --quiet "ipywidgets==7.7.1"
	.venv-ipywidgets7/bin/python -m pytest tests/test_widgets.py -p no:nbval -p no:cacheprovider -o addopts="-ra"
	rm -rf .venv-ipywidgets7

# Rebuild every notebook from its source in notebooks/src and execute it (regenerates committed outputs).
notebooks:
	$(PY) notebooks/build.py

# --- classroom edition (tools/classroom.py; teacher's guide: notebooks/TEACHERS.md) ---------------------------
# `make student`: build/student/, the course with every worked solution removed (nbgrader's conventions);
# `make student REPO=owner/name` points the notebooks' Colab links at the class's own copy on GitHub.
# `make grade SUBMISSIONS=folder`: run each submitted notebook's checks in a fresh kernel; build/grades.csv + table.
# `make slides`: build/slides/NN_name.slides.html (reveal.js from its CDN; `make slides OFFLINE=1` copies it beside
# the decks from the npm registry, for a room without internet).
# `make classroom-check`: CI - the student edition leaks no solution text, every cell outside the exercises still
# runs, no check passes without an answer, and the five decks build.
SUBMISSIONS ?= submissions
TIME_LIMIT ?= 600
JOBS ?= 1
.PHONY: student grade slides classroom-check

student:
	$(PY) tools/classroom.py student $(if $(REPO),--repo "$(REPO)",)

grade:
	$(PY) tools/classroom.py grade "$(SUBMISSIONS)" --time-limit $(TIME_LIMIT) --jobs $(JOBS)

slides:
	$(PY) tools/classroom.py slides $(if $(OFFLINE),--offline,)

classroom-check:
	$(PY) tools/classroom.py check
