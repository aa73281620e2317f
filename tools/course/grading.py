"""Grading: each submission's answers run against the course's locked checks, the rest of the notebook run once.

A notebook's exercises follow its core (its optional Going further sections come after them and are not run).
A worker process runs the reference notebook's code up to its first answer cell once, then, for each submission,
forks: the child (a copy of that state, with nothing shared back) runs the exercise part - the student's answer
cells, the course's own check cells and the cells in between - and reports one verdict per check; the worker
kills it at the time limit. Verdicts are the same as a full re-execution of the
submission with the locked cells restored (`grade_full`, used to prove it in tests and benchmarks/bench_grading.py).

Statuses: pass; fail (the check said what is wrong); not answered (the answer is still the stub); error (the
answer or the check crashed); timeout; missing (the check cell was deleted); malformed (not a notebook).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import cells
from .notebooks import NOTEBOOKS, ROOT, kernel_env

TOOLS = Path(__file__).resolve().parents[1]
MARK = {"pass": "✔", "fail": "✘", "not answered": "○", "error": "!", "timeout": "⏱", "missing": "?",
        "malformed": "✗"}
# The worker's environment: one CPU thread (GNU OpenMP's thread pool does not survive a fork: a child that uses
# it hangs), no tokenizer threads, no display.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "MPLBACKEND": "Agg"}


@dataclass
class Verdict:
    """One exercise of one submission."""

    student: str
    notebook: str
    file: str
    exercise: str
    status: str
    points: float
    max_points: float
    detail: str = ""


def status_of(error_name: str | None) -> str:
    """A check's status from the name of the exception it raised (None: it passed)."""
    if error_name is None:
        return "pass"
    if error_name == "NotAnswered":
        return "not answered"
    return "fail" if error_name in {"ExerciseError", "AssertionError"} else "error"


def clean(text: str) -> str:
    """One line without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\n", " ").strip()[:300]


# ------------------------------------------------------------------------------------------- the exercise part

def split(reference: NotebookNode) -> tuple[list[str], list[dict]]:
    """The reference's code before its first answer cell, and the exercise part: one step per code cell from the
    first answer cell to the last check, {"kind": "answer"|"check"|"code", "id": grade_id, "source": ...}."""
    found = cells.exercises(reference)
    if not found:
        raise cells.FormatError("the reference notebook has no exercise")
    first, last = found[0].answers[0] if found[0].answers else found[0].check, found[-1].check
    prefix = [c.source for c in reference.cells[:first] if c.cell_type == "code"]
    steps = []
    for cell in reference.cells[first:last + 1]:
        if cell.cell_type != "code":
            continue
        kind = "answer" if cells.is_answer(cell) else "check" if cells.is_check(cell) else "code"
        steps.append({"kind": kind, "id": str(cells.grader(cell).get("grade_id", "")), "source": cell.source})
    return prefix, steps


def submitted_steps(steps: list[dict], submission: NotebookNode) -> list[dict]:
    """The exercise part with the student's answer cells (matched by grade_id; a deleted one: its stub stays)
    and the course's checks and other cells, whatever the student did to those."""
    theirs = {str(cells.grader(c).get("grade_id")): c.source for c in submission.cells
              if c.cell_type == "code" and cells.is_answer(c)}
    return [{**step, "source": theirs.get(step["id"], step["source"])} if step["kind"] == "answer" else step
            for step in steps]


def present_checks(submission: NotebookNode) -> set[str]:
    return {str(cells.grader(c).get("grade_id")) for c in submission.cells if cells.is_check(c)}


# --------------------------------------------------------------------------------------------- the worker side

def run_steps(shell, steps: list[dict]) -> dict[str, dict]:
    """Run the exercise part in `shell`; per check: status and detail."""
    verdicts, answer_errors = {}, []
    for step in steps:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = shell.run_cell(step["source"], store_history=False, silent=False)
        error = result.error_before_exec or result.error_in_exec
        if step["kind"] == "answer" and error is not None:
            answer_errors.append(f"{type(error).__name__}: {error}")
        if step["kind"] != "check":
            continue
        name = None if error is None else type(error).__name__
        status = status_of(name)
        detail = "" if error is None else f"{name}: {error}"
        if status == "error" and answer_errors:
            detail = f"{detail} (the answer cell raised {answer_errors[0]})"
        verdicts[step["id"]] = {"status": status, "detail": clean(detail)}
        answer_errors = []
    return verdicts


def _limit_threads() -> None:
    """Keep torch on one thread even if a cell asks for more (see WORKER_ENV)."""
    import torch

    set_threads = torch.set_num_threads
    torch.set_num_threads = lambda n: set_threads(1)
    set_threads(1)


def worker(reference_path: str) -> None:
    """Run the reference's prefix once, then grade the submissions sent on stdin, one JSON line each."""
    from IPython.core.interactiveshell import InteractiveShell

    os.chdir(NOTEBOOKS)
    prefix, _ = split(nbformat.read(reference_path, as_version=4))
    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # `%matplotlib inline` in a notebook: figures stay in memory (Agg)
    _limit_threads()
    for index, source in enumerate(prefix):
        with contextlib.redirect_stdout(io.StringIO()):
            result = shell.run_cell(source, store_history=False)
        if not result.success:
            error = result.error_before_exec or result.error_in_exec
            print(json.dumps({"ready": False, "error": f"code cell {index}: {type(error).__name__}: {error}"}),
                  flush=True)
            return
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(_fork_and_run(shell, request["steps"], request["time_limit"])), flush=True)


def _peak_mb() -> float | None:
    """This process's peak resident memory in MB (Linux), for benchmarks/bench_memory.py."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    line = next((x for x in status.read_text().splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else None


def _fork_and_run(shell, steps: list[dict], time_limit: float) -> dict:
    """Run the steps in a forked copy of the shell's process; stop it at the time limit."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        pid = os.fork()
        if pid == 0:  # the child: a copy of the prepared state, for this submission only
            try:
                os.setpgid(0, 0)
                payload = {"verdicts": run_steps(shell, steps), "peak_mb": _peak_mb()}
            except BaseException as error:  # noqa: BLE001 - report anything, then leave without cleanup
                payload = {"verdicts": {}, "stopped": f"the grader failed: {type(error).__name__}: {error}"}
            Path(handle.name).write_text(json.dumps(payload))
            os._exit(0)
        deadline = time.monotonic() + time_limit
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"verdicts": {}, "stopped": f"time limit of {time_limit:g} s reached"}
            time.sleep(0.02)
        text = Path(handle.name).read_text()
    return json.loads(text) if text else {"verdicts": {}, "stopped": "the submission ended the grader's process"}


# --------------------------------------------------------------------------------------------- the teacher side

class Worker:
    """A worker process for one reference notebook: started once, then asked to grade one submission at a time."""

    def __init__(self, reference: Path, startup_limit: float = 900):
        env = kernel_env(**WORKER_ENV)
        env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), str(TOOLS), env.get("PYTHONPATH", "")] if p)
        code = "import sys; from course.grading import worker; worker(sys.argv[1])"
        self.process = subprocess.Popen([sys.executable, "-c", code, str(reference)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                        cwd=ROOT, start_new_session=True)
        ready = self._reply(startup_limit)
        if not ready.get("ready"):
            self.close()
            raise RuntimeError(f"{reference.name} does not run in the grader: {ready.get('error', 'no reply')}")

    def _reply(self, limit: float) -> dict:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(limit):
                return {"error": f"no reply in {limit:g} s"}
        line = self.process.stdout.readline()
        return json.loads(line) if line else {"error": "the worker stopped"}

    def grade(self, steps: list[dict], time_limit: float) -> dict:
        self.process.stdin.write(json.dumps({"steps": steps, "time_limit": time_limit}) + "\n")
        self.process.stdin.flush()
        return self._reply(time_limit + 60)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.process.stdin.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


def _student_of(path: Path, submissions: Path) -> str:
    """alice/04_rnn_gradients.ipynb -> alice; alice.ipynb or alice_04_rnn_gradients.ipynb -> their stem."""
    parts = path.relative_to(submissions).parts
    return parts[0] if len(parts) > 1 else path.stem


def _notebook_of(nb: NotebookNode | None, path: Path, references: dict[str, NotebookNode]) -> str | None:
    """The course notebook a submission answers: by its checks' grade_ids, else by its file name."""
    ids = present_checks(nb) if nb is not None else set()
    for name, reference in references.items():
        if ids & {e.grade_id for e in cells.exercises(reference)}:
            return name
    return next((name for name in references if name in path.name or path.name.startswith(name[:3])), None)


def verdicts_for(reference: NotebookNode, submission: NotebookNode, result: dict, row: dict) -> list[Verdict]:
    """One Verdict per exercise of the reference, from a run's result."""
    present, out = present_checks(submission), []
    for exercise in cells.exercises(reference):
        got = result.get("verdicts", {}).get(exercise.grade_id)
        if exercise.grade_id not in present:
            status, detail = "missing", "the check cell is not in the notebook"
        elif got:
            status, detail = got["status"], got["detail"]
        else:
            stopped = result.get("stopped") or "not reached"
            status, detail = ("timeout" if "time limit" in stopped else "error"), stopped
        points = exercise.points if status == "pass" else 0.0
        out.append(Verdict(**row, exercise=exercise.grade_id, status=status, points=points,
                           max_points=exercise.points, detail=detail))
    return out


def grade(submissions: Path, references: dict[str, Path], time_limit: float = 120,
          log=sys.stderr) -> list[Verdict]:
    """Grade every notebook under `submissions` against the reference notebooks {stem: path}."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise SystemExit(f"no folder {submissions}: give the folder of submitted notebooks "
                         "(alice.ipynb, or alice/04_rnn_gradients.ipynb, ...)")
    files = sorted(p for p in submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not files:
        raise SystemExit(f"no .ipynb file under {submissions}")
    refs = {name: nbformat.read(path, as_version=4) for name, path in references.items()}
    by_notebook: dict[str, list[tuple[Path, NotebookNode]]] = {}
    rows: list[Verdict] = []
    for path in files:
        row = {"student": _student_of(path, submissions), "file": path.relative_to(submissions).as_posix()}
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001 - an unreadable file is reported, never fatal
            first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
            name = _notebook_of(None, path, refs) or "(unreadable)"
            rows.append(Verdict(**row, notebook=name, exercise="", status="malformed", points=0.0, max_points=0.0,
                                detail=f"not a readable notebook ({type(error).__name__}: {first})"))
            continue
        name = _notebook_of(nb, path, refs)
        if name is None:
            rows.append(Verdict(**row, notebook="(unknown)", exercise="", status="malformed", points=0.0,
                                max_points=0.0, detail="answers none of the course's notebooks"))
            continue
        by_notebook.setdefault(name, []).append((path, nb))
    for name, graded in by_notebook.items():
        started = time.monotonic()
        worker = Worker(references[name])
        print(f"{name}: the notebook's cells before the exercises ran in {time.monotonic() - started:.0f} s",
              file=log)
        _, steps = split(refs[name])
        try:
            for path, nb in graded:
                started = time.monotonic()
                row = {"student": _student_of(path, submissions), "notebook": name,
                       "file": path.relative_to(submissions).as_posix()}
                result = worker.grade(submitted_steps(steps, nb), time_limit)
                mine = verdicts_for(refs[name], nb, result, row)
                rows += mine
                print(f"graded {row['file']} in {time.monotonic() - started:.1f} s: "
                      f"{' '.join(MARK[v.status] for v in mine)}", file=log)
        finally:
            worker.close()
    return rows


def write_csv(rows: list[Verdict], out_csv: Path) -> None:
    """One CSV row per student and exercise."""
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    fields = ["student", "notebook", "file", "exercise", "status", "points", "max_points", "detail"]
    with out_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


def table(rows: list[Verdict]) -> str:
    """A short table per notebook: one line per submission, one column per exercise, and the points."""
    lines = []
    for notebook in sorted({r.notebook for r in rows}):
        mine = [r for r in rows if r.notebook == notebook]
        exercises = sorted({r.exercise for r in mine if r.exercise},
                           key=lambda g: [int(n) if n.isdigit() else n for n in re.split(r"(\d+)", g)])
        width = max(len("student"), *(len(r.student) for r in mine))
        lines += [notebook, "  " + "student".ljust(width) + "".join(f"  {e:>7}" for e in exercises) + "  points"]
        for file in sorted({r.file for r in mine}):
            of_file = {r.exercise: r for r in mine if r.file == file}
            student = next(iter(of_file.values())).student
            if "" in of_file:
                marks = "  " + f"{MARK['malformed']} {of_file[''].detail[:40]}".ljust(9 * len(exercises))
                got = total = "-"
            else:
                marks = "".join(f"  {MARK[of_file[e].status] if e in of_file else '':>7}" for e in exercises)
                got = f"{sum(r.points for r in of_file.values()):g}"
                total = f"{sum(r.max_points for r in of_file.values()):g}"
            lines.append(f"  {student.ljust(width)}{marks}  {got}/{total}")
    legend = ", ".join(f"{mark} {status}" for status, mark in MARK.items())
    return "\n".join(lines + [f"({legend})"])


# ----------------------------------------------------------------------------- the proof: a full re-execution

def grade_full(reference: NotebookNode, submission: NotebookNode, time_limit: float = 600) -> dict[str, dict]:
    """The verdicts of executing the whole submission in a fresh kernel, every cell but the answers restored from
    the reference (what an autograder does): slow, for checking `grade`."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from .notebooks import client

    prefix, steps = split(reference)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in prefix])
    nb.cells += [nbformat.v4.new_code_cell(s["source"], metadata={"step": s})
                 for s in submitted_steps(steps, submission)]
    run = client(nb, NOTEBOOKS, int(time_limit), allow_errors=True)
    verdicts, answer_errors = {}, []
    deadline = time.monotonic() + time_limit
    try:
        with run.setup_kernel(env=kernel_env(**WORKER_ENV)):
            for index, cell in enumerate(nb.cells):
                run.timeout = max(1, int(deadline - time.monotonic()))
                run.execute_cell(cell, index)
                error = next((o for o in cell.outputs if o.output_type == "error"), None)
                step = cell.metadata.get("step")
                if step is None:
                    if error:
                        raise RuntimeError(f"reference code cell {index} failed: {error.ename}")
                    continue
                if step["kind"] == "answer" and error:
                    answer_errors.append(f"{error.ename}: {error.evalue}")
                if step["kind"] != "check":
                    continue
                status = status_of(error.ename if error else None)
                verdicts[step["id"]] = {"status": status}
                answer_errors = []
    except (CellTimeoutError, DeadKernelError):
        pass
    return verdicts
