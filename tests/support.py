"""What several test modules share: the fixture notebook, Chromium found (or the test skipped), a free port."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SRC = ROOT / "tests" / "fixtures" / "classroom" / "src"
FIXTURE = FIXTURE_SRC / "99_fixture.py"
# Chromium as root in a container, with no background traffic to hosts this machine cannot reach.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def unavailable(reason: str, how: str = "`apt-get install chromium` and `pip install playwright` (or `make test`)"):
    """Skip on a learner's machine; under CI (CI=true) a missing browser is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: under CI this test must run, not skip")
    pytest.skip(f"{reason}; to enable it: {how}")


def chromium() -> str:
    """Debian's Chromium ($CHROMIUM_PATH, chromium or chromium-browser); Playwright's own download is never used."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("the playwright package is not installed")
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        unavailable("no Chromium found (looked for $CHROMIUM_PATH, chromium, chromium-browser)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def helpers_translation(language: str = "zh-CN"):
    """msgid -> msgstr of the helpers' own catalog (helpers/locales/<locale>/LC_MESSAGES/helpers.po)."""
    from babel.messages.pofile import read_po

    from helpers.i18n import LOCALES, SUPPORTED

    with (LOCALES / SUPPORTED[language] / "LC_MESSAGES" / "helpers.po").open("rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}
