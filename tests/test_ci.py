"""tools/ci.py: the two streams of `make test`, and a step that waits for the other stream's install."""

import sys
import threading

import ci  # tools/ci.py (tests/conftest.py puts tools/ on sys.path)

OK, FAIL = [sys.executable, "-c", "pass"], [sys.executable, "-c", "raise SystemExit(3)"]


def _run(plan):
    results = []
    done = {name: threading.Event() for stream in plan for name, _, _ in stream}
    threads = [threading.Thread(target=ci.run_stream, args=(stream, results, done)) for stream in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return {name: code for name, code, _, _ in results}


def test_a_step_runs_after_the_step_it_waits_for_and_not_after_a_failed_one(tmp_path, monkeypatch):
    monkeypatch.setattr(ci, "LOGS", tmp_path)
    monkeypatch.setattr(ci, "ROOT", tmp_path)
    ran = _run([[("install", OK, None), ("tests", OK, None)],
                [("colab", OK, None), ("grader", OK, "install"), ("site", OK, None)]])
    assert ran == {"install": 0, "tests": 0, "colab": 0, "grader": 0, "site": 0}
    ran = _run([[("install", FAIL, None), ("tests", OK, None)],
                [("colab", OK, None), ("grader", OK, "install"), ("site", OK, None)]])
    assert ran == {"install": 3, "colab": 0}  # neither stream goes past the failed install


def test_every_step_waits_only_for_a_step_of_the_other_stream():
    plan = ci.streams("make", "python")
    names = [{name for name, _, _ in stream} for stream in plan]
    for here, there in ((0, 1), (1, 0)):
        assert all(after is None or after in names[there] for _, _, after in plan[here])
    assert ci.INSTALL in names[0] and any(after == ci.INSTALL for _, _, after in plan[1])
