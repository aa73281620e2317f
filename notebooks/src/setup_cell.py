# Set-up: does nothing on a local install. On Colab it fetches the course (helpers/ and data/)
# and installs only the packages Colab lacks; torch and ipywidgets are never reinstalled.
import importlib.util
import os
import subprocess
import sys

if "google.colab" in sys.modules and importlib.util.find_spec("helpers") is None:
    if not os.path.isdir("/content/nlp-basics-pytorch"):
        subprocess.run(["git", "clone", "--depth", "1", "https://github.com/nlp-basics-course/nlp-basics-pytorch",
                        "/content/nlp-basics-pytorch"], check=True)
    course = []  # the build writes each notebook's own list (tools/course/notebooks.py COLAB_NEEDS)
    lacking = [pkg for pkg, mod in course if importlib.util.find_spec(mod) is None]
    if lacking:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *lacking], check=True)
    sys.path.insert(0, "/content/nlp-basics-pytorch")
    os.chdir("/content/nlp-basics-pytorch/notebooks")
elif importlib.util.find_spec("helpers") is None:
    sys.path.insert(0, os.path.abspath(".."))  # opened from notebooks/ without `pip install -e .`
