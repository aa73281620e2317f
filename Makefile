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
