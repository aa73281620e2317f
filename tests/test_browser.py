"""End to end: each notebook's lab panel, run in JupyterLab in headless Chromium, and driven as a learner would.

The notebooks themselves are executed by nbval; here JupyterLab runs a small notebook of the lab's own cell
(copied from the committed notebook) after the device is picked, so the browser test costs one lab, not a notebook.
Needs Debian's Chromium (`apt-get install chromium`, done by `make test`) and the playwright package;
Playwright's own browser download is never used. Without them the test is skipped on a learner's machine,
and fails under CI (CI=true). Screenshots land in test-artifacts/browser/.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from support import CHROMIUM_FLAGS, chromium, free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LAB_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb") if "rnn_lab(" in p.read_text())
LM_LAB_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")
                          if "language_model_lab(" in p.read_text())
LAB_CALL = re.compile(r"^(?:\w+ = )?(rnn_lab|language_model_lab)\(", re.MULTILINE)
# What a lab cell may use from the notebook's first cells.
PICK_DEVICE = ("import numpy as np\nfrom helpers.device import pick_device\nfrom helpers.widgets import "
               "language_model_lab, rnn_lab\n\ndevice = pick_device(\"auto\")")


def lab_notebook(notebook: str) -> nbformat.NotebookNode:
    """The committed notebook's lab cell after a cell that picks the device, as a notebook of its own."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    (lab,) = [c.source for c in nb.cells if c.cell_type == "code" and LAB_CALL.search(c.source)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PICK_DEVICE), nbformat.v4.new_code_cell(lab)],
                                    metadata={"kernelspec": nb.metadata["kernelspec"]})


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free loopback port, serving each lab's notebook (lab_notebook)."""
    chromium()
    workdir = tmp_path_factory.mktemp("lab")
    for name in LAB_NOTEBOOKS + LM_LAB_NOTEBOOKS:
        nbformat.write(lab_notebook(name), workdir / name)
    port, token = free_port(), secrets.token_hex(16)
    log = open(workdir / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={workdir}", "--ServerApp.allow_root=True", "--LabApp.news_url=None"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; log:\n{(workdir / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _control(page, label: str):
    """The widget whose description is `label`."""
    return page.locator(".widget-inline-hbox", has=page.locator(f"label.widget-label:text-is('{label}')")).first


def _panel_state(panel) -> tuple[str, str]:
    """What the panel shows: its text (the reported numbers) and the source of its figure."""
    figure = panel.locator("img").last
    return panel.inner_text(), (figure.get_attribute("src") or "") if figure.count() else ""


def _run_all_and_find_panel(page, base: str, token: str, notebook: str):
    """Open `notebook` in JupyterLab, run all its cells as a learner would, and return (RNN-type control, panel)."""
    # A workspace of its own, reset, so that JupyterLab does not reopen the previous test's notebook.
    page.goto(f"{base}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}?reset&token={token}")
    page.wait_for_selector(f".jp-mod-current .lm-TabBar-tabLabel:text-is('{notebook}')", timeout=120_000)
    page.wait_for_selector("text=/Python 3 \\(ipykernel\\) \\| Idle/", timeout=120_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    kind = _control(page, "RNN type")
    kind.wait_for(timeout=600_000)
    kind.scroll_into_view_if_needed()
    panel = page.locator(".widget-vbox", has=kind).last
    panel.locator("img").last.wait_for(timeout=240_000)
    page.wait_for_selector("text=/Python 3 \\(ipykernel\\) \\| Idle/", timeout=600_000)
    return kind, panel


@contextlib.contextmanager
def _notebook_panel(lab, notebook: str):
    """Chromium on JupyterLab with `notebook` run: yields (page, RNN-type control, panel, screenshot folder)."""
    from playwright.sync_api import sync_playwright

    base, token = lab
    shots = ARTIFACTS / Path(notebook).stem
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            kind, panel = _run_all_and_find_panel(page, base, token, notebook)
            yield page, kind, panel, shots
        except Exception:
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def _wait_for_change(panel, before: tuple[str, str], timeout_s: float = 240) -> tuple[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = _panel_state(panel)
        busy = re.search(r"running…|training \w+, sequence length \d+, device \w+…", now[0])  # a status line
        if not busy and now[0] != before[0] and now[1] and now[1] != before[1]:
            return now
        time.sleep(1)
    raise AssertionError(f"the panel did not redraw within {timeout_s} s; it still shows:\n{now[0]}")


@pytest.mark.skipif(not LAB_NOTEBOOKS, reason="no notebook calls rnn_lab() yet")
@pytest.mark.parametrize("notebook", LAB_NOTEBOOKS)
def test_rnn_lab_panel_reacts_in_jupyterlab(lab, notebook):
    with _notebook_panel(lab, notebook) as (page, kind, panel, shots):
        first = _panel_state(panel)
        panel.screenshot(path=str(shots / "1-default.png"))

        current = kind.locator("select").input_value()
        other = next(v for v in ("lstm", "gru", "rnn") if v != current)
        kind.locator("select").select_option(other)  # as a learner picks from the list
        second = _wait_for_change(panel, first)
        panel.screenshot(path=str(shots / f"2-{other}.png"))

        _set_clip_threshold(page)
        third = _wait_for_change(panel, second)
        panel.screenshot(path=str(shots / "3-clip.png"))
        assert len({first[0], second[0], third[0]}) == 3


def _set_clip_threshold(page) -> None:
    """Change the clip threshold through the page, as a learner would."""
    control = _control(page, "Clip threshold")
    select = control.locator("select")
    if select.count():
        values = [o.get_attribute("value") for o in select.locator("option").all()]
        current = select.input_value()
        select.select_option(next(v for v in reversed(values) if v != current))
        return
    readout = control.locator(".widget-readout")
    if readout.count():  # a slider: type a new value into its readout
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("0.5")
        page.keyboard.press("Enter")
        return
    text = control.locator("input")
    text.fill("0.5")
    text.press("Enter")


# --- notebook 03: the language-model lab ---

def _wait_for_text(panel, expected: str, new_figure_since: tuple[str, str] | None = None,
                   timeout_s: float = 240) -> tuple[str, str]:
    """Wait until the panel's read-out (not only a control's value) shows `expected`, and, if given a
    previous state, a figure other than that state's."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = _panel_state(panel)
        if expected in now[0] and (new_figure_since is None or now[1] and now[1] != new_figure_since[1]):
            return now
        time.sleep(1)
    raise AssertionError(f"the panel did not show {expected!r} within {timeout_s} s; it shows:\n{now[0]}")


def _type_into_slider(page, label: str, value: str) -> None:
    """Type a new value into a slider's readout, as a learner would."""
    readout = _control(page, label).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


@pytest.mark.skipif(not LM_LAB_NOTEBOOKS, reason="no notebook calls language_model_lab() yet")
@pytest.mark.parametrize("notebook", LM_LAB_NOTEBOOKS)
def test_language_model_lab_reacts_in_jupyterlab(lab, notebook):
    with _notebook_panel(lab, notebook) as (page, kind, panel, shots):
        first = _panel_state(panel)
        assert "bits per character" in first[0] and "sample at temperature" in first[0]
        panel.screenshot(path=str(shots / "1-default.png"))

        current = kind.locator("select").input_value()
        other = next(v for v in ("gru", "rnn", "lstm") if v != current)
        kind.locator("select").select_option(other)  # trained before the panel opened: answered from the cache
        second = _wait_for_text(panel, f"{other.upper()}, sequence length", new_figure_since=first)
        assert "from the cache" in second[0]
        panel.screenshot(path=str(shots / f"2-{other}.png"))

        _type_into_slider(page, "Temperature", "1.8")  # only a new sample: the figure stays
        third = _wait_for_text(panel, "sample at temperature 1.8")
        assert third[0] != second[0]
        panel.screenshot(path=str(shots / "3-temperature.png"))

        _type_into_slider(page, "Sequence length", "16")  # a new model is trained: figure and numbers change
        # Wait for the finished read-out: the status line shown while training also names the new length.
        fourth = _wait_for_text(panel, "trained;", new_figure_since=third)
        assert f"{other.upper()}, sequence length 16" in fourth[0] and fourth[0] != third[0]
        panel.screenshot(path=str(shots / "4-seq-len.png"))
