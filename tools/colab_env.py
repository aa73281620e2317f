"""Make .venv-colab, a virtual environment with Colab's package versions (tools/colab-requirements.txt).

Usage:  python tools/colab_env.py [--python python3.13]
It is made with the base interpreter behind whichever Python runs this (from inside a venv too: `-m venv` never
inherits the calling environment's packages, unlike `--system-site-packages`), and kept between runs while its
inputs (the requirements file, this script, the interpreter's version) are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = ROOT / ".venv-colab"
REQUIREMENTS = ROOT / "tools" / "colab-requirements.txt"
STAMP = ENV / ".inputs.sha256"


def python_version(python: str) -> str:
    """The full version string of an interpreter, e.g. '3.11.2 (main, ...) [GCC 12.2.0]'."""
    return subprocess.run([python, "-c", "import sys; print(sys.version)"], check=True, capture_output=True,
                          text=True).stdout.strip()


def inputs_digest(python: str) -> str:
    """One hash of everything the environment is made from."""
    digest = hashlib.sha256()
    for part in (REQUIREMENTS.read_bytes(), Path(__file__).read_bytes(), python_version(python).encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to make it from (default: this one)")
    args = parser.parse_args()
    if shutil.which(args.python) is None and not Path(args.python).exists():
        sys.exit(f"--python {args.python}: no such interpreter")
    wanted = inputs_digest(args.python)
    python = ENV / "bin" / "python"
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        print(f"{ENV.name}: up to date (Colab's versions, {python_version(str(python)).split()[0]}); "
              f"delete it to rebuild")
        return
    print(f"{ENV.name}: making it with Python {python_version(args.python).split()[0]} "
          f"from {REQUIREMENTS.relative_to(ROOT)}", flush=True)
    subprocess.run([args.python, "-m", "venv", "--clear", str(ENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    subprocess.run([str(python), "-m", "pip", "check"], check=True)
    STAMP.write_text(wanted + "\n")
    print(f"{ENV.name}: ready")


if __name__ == "__main__":
    main()
