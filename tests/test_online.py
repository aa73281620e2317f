"""The online options end to end: the course's loaders, through the real clients, against a local mirror.

Each online run is a fresh Python process whose environment points the clients at the mirror on 127.0.0.1
(HF_ENDPOINT is read when huggingface_hub is imported, so it must be set before) and whose caches are in a
temporary folder; a network guard makes any connection beyond this machine fail. Nothing leaks into this
process. The offline checks (closed port, a server that never answers) run in this process: they are fast.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hub_mirror import (
    COMMIT,
    GLOVE,
    IMDB_SIZES,
    NETWORK_GUARD,
    PICKLE_ONLY,
    STALLED,
    TEXT8_WORDS,
    build_mirror,
    tiny_bert_weights,
)

from helpers import contextual, data, online

ROOT = Path(__file__).resolve().parent.parent

# What the notebooks use from each loader, summarised as JSON (printed on the last line).
LOAD_ALL = """
import json, numpy as np
from helpers.contextual import load_bert, word_embeddings_by_layer
from helpers.data import load_corpus, load_pretrained_vectors, load_sentiment

tokenizer, model = load_bert("bert-base-uncased")
layers = word_embeddings_by_layer(["The bank of the river.", "A bank loan."], "bank", tokenizer, model, device="cpu")
texts, labels = load_sentiment("imdb", split="train")
test_texts, test_labels = load_sentiment("imdb", split="test")
text8 = load_corpus("text8")
glove = load_pretrained_vectors("glove-wiki-gigaword-50")
weights = model.embeddings.word_embeddings.weight.detach().numpy()
print("RESULT " + json.dumps({
    "bert": [type(tokenizer).__name__, tokenizer.is_fast, type(model).__name__, model.training,
             model.config.num_hidden_layers, model.config.hidden_size, list(layers.shape),
             float(weights[:3, :3].sum())],
    "imdb": [len(texts), len(test_texts), sorted(set(labels)), sum(labels), all(isinstance(t, str) for t in texts),
             texts[0]],
    "text8": [len(text8), [len(chunk) for chunk in text8], text8[0][:3]],
    "glove": [type(glove).__name__, glove.vector_size, len(glove), glove.most_similar_cosmul(
        positive=["king", "woman"], negative=["man"], topn=1)[0][0]],
}))
"""


def online_env(cache: Path, hub: str, gensim: str, **extra: str) -> dict[str, str]:
    """This process's environment without proxies, with the clients pointed at `hub`/`gensim` and caches in `cache`."""
    env = {key: value for key, value in os.environ.items()
           if not key.lower().endswith("_proxy") and not key.startswith(("HF_", "GENSIM_", "TRANSFORMERS_"))}
    env.update(HF_ENDPOINT=hub, GENSIM_DATA_URL=gensim, HF_HOME=str(cache / "hf"),
               GENSIM_DATA_DIR=str(cache / "gensim"),
               HF_HUB_DISABLE_TELEMETRY="1", HF_UPDATE_DOWNLOAD_COUNTS="0", NO_PROXY="127.0.0.1,localhost",
               PYTHONPATH=str(ROOT), **extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter behind the network guard; fail with its output if it fails."""
    done = subprocess.run([sys.executable, "-c", NETWORK_GUARD + code], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    output = f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"exit {done.returncode}\n{output}"
    return done


def result(done: subprocess.CompletedProcess) -> dict:
    return json.loads(done.stdout.rsplit("RESULT ", 1)[1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Load everything twice: with the mirror up (downloads), then with it stopped (the caches only)."""
    cache = tmp_path_factory.mktemp("online-cache")
    mirror = build_mirror().start()
    try:
        env = online_env(cache, mirror.url, mirror.url + "/gensim-data")
        first = run_python(LOAD_ALL, env)
        requests, unknown = list(mirror.requests), list(mirror.unknown)
    finally:
        mirror.stop()
    second = run_python(LOAD_ALL, env)
    return {"first": first, "second": second, "requests": requests, "unknown": unknown, "cache": cache}


def test_first_call_downloads_through_the_mirror_with_progress_bars(runs):
    requests = runs["requests"]
    assert f"GET /bert-base-uncased/resolve/{COMMIT}/model.safetensors" in requests
    assert any(r.startswith("GET /datasets/stanfordnlp/imdb/resolve/") and r.endswith("train-00000-of-00001.parquet")
               for r in requests)
    assert "GET /gensim-data/text8/text8.gz" in requests and f"GET /gensim-data/{GLOVE}/{GLOVE}.gz" in requests
    assert runs["unknown"] == [], "the mirror was asked for something it does not serve"
    first = runs["first"]
    assert "Downloading bytes" in first.stderr and "Fetching" in first.stderr  # the hub's bars, not switched off
    assert "Generating train split" in first.stderr  # datasets'
    assert "MB downloaded" in first.stdout  # gensim's bar


def test_weights_are_only_ever_fetched_as_safetensors(runs):
    assert not any("pytorch_model.bin" in r for r in runs["requests"])


def test_second_call_works_from_the_caches_without_a_request(runs):
    assert result(runs["second"]) == result(runs["first"])
    assert "Downloading bytes" not in runs["second"].stderr and "MB downloaded" not in runs["second"].stdout
    assert "test network guard: connect" in runs["first"].stderr
    assert "test network guard: connect" not in runs["second"].stderr  # not even an attempt
    assert "couldn't be found" not in runs["second"].stderr  # no confusing warning from datasets either


def test_loaders_return_what_the_notebooks_use(runs):
    loaded = result(runs["first"])
    hidden, layers = tiny_bert_weights()["embeddings.word_embeddings.weight"].shape[1], 2
    tokenizer, fast, model, training, n_layers, width, by_layer, corner = loaded["bert"]
    assert tokenizer.startswith("BertTokenizer") and fast  # word_embeddings needs a fast tokenizer
    assert (model, training) == ("BertModel", False)
    assert (n_layers, width, by_layer) == (layers, hidden, [layers + 1, 2, hidden])  # the mirror's tiny BERT
    assert corner == pytest.approx(float(tiny_bert_weights()["embeddings.word_embeddings.weight"][:3, :3].sum()),
                                   abs=1e-5)
    n_train, n_test, label_set, positives, all_text, first_text = loaded["imdb"]
    assert (n_train, n_test, label_set, positives, all_text) == (
        IMDB_SIZES["train"], IMDB_SIZES["test"], [0, 1], IMDB_SIZES["train"] // 2, True)
    assert "<br />" in first_text  # raw reviews, as IMDB ships them
    n_chunks, sizes, first_words = loaded["text8"]
    assert n_chunks == 3 and sizes == [10_000, 10_000, TEXT8_WORDS - 20_000] and len(first_words) == 3
    assert loaded["glove"][:2] == ["KeyedVectors", 50] and loaded["glove"][3] == "queen"


def test_downloads_go_to_the_libraries_caches_and_no_downloaded_code_runs(runs):
    cache = runs["cache"]
    assert any((cache / "hf" / "hub").glob("models--bert-base-uncased/snapshots/*/model.safetensors"))
    assert any((cache / "hf" / "datasets").rglob("*.arrow"))
    # gensim keeps the __init__.py it downloads next to the data; the course never imports it (it would raise)
    assert (cache / "gensim" / "text8" / "__init__.py").read_text().startswith("raise RuntimeError")
    assert not list(ROOT.glob("models--*")) and not (ROOT / "gensim-data").exists()


PROXIED = f"""
from helpers.contextual import load_bert
from helpers.data import OfflineError, load_pretrained_vectors
try:
    load_bert("{PICKLE_ONLY}")
except OSError as err:
    refused = "refused-pickle" if "has no safetensors weights" in str(err) else str(err)
try:
    load_bert("{STALLED}")
except OfflineError as err:
    stalled = "stalled-fails" if "timed out" in str(err) else str(err)
print(load_bert("google-bert/bert-base-uncased")[1].config.hidden_size, len(load_pretrained_vectors("{GLOVE}")),
      refused, stalled)
"""


def test_a_proxy_from_the_environment_is_used(tmp_path):
    """Hosts that do not resolve (.invalid), reached only through HTTP_PROXY: the mirror acting as the proxy.

    On the way, a model with only pickled weights (pytorch_model.bin) is refused without downloading them, and a
    download that stalls fails with OfflineError after the hub's own timeout and retries (about 15 s here).
    """
    mirror = build_mirror().start()
    try:
        env = online_env(tmp_path, "http://hub.invalid", "http://gensim.invalid/gensim-data", HTTP_PROXY=mirror.url,
                         HF_HUB_DOWNLOAD_TIMEOUT="1")
        done = run_python(PROXIED, env)
    finally:
        mirror.stop()
    hidden, words, refused, stalled = done.stdout.split()[-4:]
    assert hidden == "32" and int(words) > 400  # the mirror's tiny BERT and its GloVe-shaped vectors
    assert refused == "refused-pickle" and stalled == "stalled-fails"
    assert not any(r.startswith("GET") and r.endswith("pytorch_model.bin (via proxy)") for r in mirror.requests)
    assert "HEAD / (via proxy)" in mirror.requests and "GET /gensim-data/list.json (via proxy)" in mirror.requests
    assert all(r.endswith("(via proxy)") for r in mirror.requests)


# --- offline: fails within seconds with OfflineError, whatever the network does ---

@pytest.fixture
def closed_url():
    """A URL on a port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_url():
    """A server that accepts connections (the kernel completes them) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def point_clients_at(monkeypatch, tmp_path):
    """Point this process's hub clients and gensim at a URL, with empty caches and a 1-second timeout."""
    import gensim.downloader as api
    from huggingface_hub import constants

    def point(url: str) -> None:
        monkeypatch.setattr(constants, "ENDPOINT", url)
        monkeypatch.setenv("HF_ENDPOINT", url)
        monkeypatch.setenv("GENSIM_DATA_URL", url + "/gensim-data")
        monkeypatch.setattr(api, "BASE_DIR", str(tmp_path))
        monkeypatch.setattr(online, "TIMEOUT", 1.0)
        monkeypatch.setattr(data, "_cached_imdb", lambda split: None)
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    return point


LOADERS = {
    "load_bert": lambda: contextual.load_bert("nlp-basics-course/never-cached"),
    "imdb": lambda: data.load_sentiment("imdb"),
    "text8": lambda: data.load_corpus("text8"),
    "glove": lambda: data.load_pretrained_vectors(GLOVE),
}


@pytest.mark.parametrize("server", ["closed_url", "silent_url"])
@pytest.mark.parametrize("loader", list(LOADERS))
def test_offline_fails_fast_naming_the_url_and_the_mirror_variable(loader, server, point_clients_at, request):
    if loader == "imdb":
        pytest.importorskip("datasets")
    url = request.getfixturevalue(server)
    point_clients_at(url)
    start = time.monotonic()
    with pytest.raises(data.OfflineError) as raised:
        LOADERS[loader]()
    assert time.monotonic() - start < 10
    message = str(raised.value)
    assert url in message and "needs the internet" in message
    assert ("HF_ENDPOINT" if loader in ("load_bert", "imdb") else "GENSIM_DATA_URL") in message
    if server == "silent_url":
        assert "no answer within 1 s" in message
    if loader == "load_bert":
        assert "load_bert()" in message  # and how to go on offline


def test_a_stalled_gensim_download_fails_instead_of_hanging(point_clients_at, monkeypatch):
    mirror = build_mirror().start()
    mirror.stall.add("/gensim-data/text8/text8.gz")
    try:
        point_clients_at(mirror.url)
        monkeypatch.setattr(online, "DOWNLOAD_TIMEOUT", 1.0)
        start = time.monotonic()
        with pytest.raises(data.OfflineError, match="downloading 'text8' .* failed"):
            data.load_corpus("text8")
        assert time.monotonic() - start < 10
    finally:
        mirror.stop()
    assert socket.getdefaulttimeout() is None  # the timeout was only for the download


@pytest.mark.parametrize("plain_404", [False, True], ids=["hub-style 404", "plain 404"])
def test_a_model_the_mirror_does_not_have_is_named_not_a_failed_download(point_clients_at, plain_404):
    """The hub says RepoNotFound in a header; a mirror may answer a bare 404. Both mean: no such model there."""
    mirror = build_mirror()
    mirror.plain_404 = plain_404
    mirror.start()
    try:
        point_clients_at(mirror.url)
        with pytest.raises(OSError) as raised:
            contextual.load_bert("course-test/absent")
    finally:
        mirror.stop()
    assert not isinstance(raised.value, data.OfflineError), str(raised.value)  # not "download failed, try again"
    assert f"{mirror.url} has no model 'course-test/absent'" in str(raised.value)
    assert "GET /api/models/course-test/absent/revision/main" in mirror.requests


def test_hf_endpoint_set_after_import_is_an_error_not_a_silent_fallback(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example")
    with pytest.raises(data.OfflineError, match="restart the kernel and set HF_ENDPOINT before"):
        online.hf_endpoint()
    monkeypatch.setattr(constants, "ENDPOINT", "https://hf-mirror.example")
    assert online.hf_endpoint() == "https://hf-mirror.example"


def test_hub_offline_mode_without_a_cached_copy_says_what_to_unset(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(data.OfflineError, match="HF_HUB_OFFLINE=1 forbids"):
        contextual.load_bert("nlp-basics-course/never-cached")


def test_missing_datasets_package_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets -> ImportError
    with pytest.raises(ImportError, match="pip install datasets"):
        data.load_sentiment("imdb")


def test_unknown_pretrained_vectors_list_the_choices():
    with pytest.raises(ValueError, match="unknown pretrained vectors 'glove-6b'.*glove-wiki-gigaword-100"):
        data.load_pretrained_vectors("glove-6b")



# --- the notebooks' online cells, run against the mirror ---

NOTEBOOKS = {"01_word_embeddings": "king - man + woman:", "02_word2vec_vs_bert": "Loaded bert-base-uncased: 2 layers",
             "05_text_classifier": "IMDB sample of 500 reviews | LSTM"}
SWITCHES = {"USE_BERT_BASE = False": "USE_BERT_BASE = True"}  # the learner's switch, turned on for the test


def online_cells(stem: str) -> tuple[list[str], list[str]]:
    """(code of the cells before the first online cell, code of the cells tagged 'online') in a notebook source."""
    import jupytext

    notebook = jupytext.read(ROOT / "notebooks" / "src" / f"{stem}.py")
    before, online_code = [], []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "online" in tags:
            assert "nbval-ignore-output" in tags, f"{stem}: an online cell's output depends on the network"
            online_code.append(cell.source)
        elif not online_code:  # without IPython's magics (%matplotlib inline): plain Python is enough here
            before.append("\n".join(line for line in cell.source.splitlines() if not line.startswith(("%", "!"))))
    return before, online_code


def context_for(cell: str, before: list[str]) -> list[str]:
    """The notebook's own top-level statements that define the names `cell` uses (imports, device, settings...)."""
    import ast
    import builtins

    statements = [node for source in before for node in ast.parse(source).body]

    def bound(node) -> set[str]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            return {node.name}
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return set()

    def needs(tree) -> set[str]:
        loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        stored |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
        stored |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}
        return loaded - stored - set(dir(builtins))

    chosen: dict[int, ast.stmt] = {}
    todo = list(needs(ast.parse(cell)))
    while todo:
        name = todo.pop()
        where = [i for i, node in enumerate(statements) if name in bound(node)]
        assert where, f"the online cell uses {name!r}, which no earlier top-level statement defines"
        if where[-1] not in chosen:
            chosen[where[-1]] = statements[where[-1]]
            todo += needs(statements[where[-1]])
    assert len(chosen) <= 15, "an online cell should need only a small context"
    return [ast.unparse(chosen[i]) for i in sorted(chosen)]


def test_every_online_cell_of_the_notebooks_runs_against_the_mirror(tmp_path):
    pytest.importorskip("jupytext")
    script = ["import contextlib, io, json", "outputs = {}"]
    for stem in NOTEBOOKS:
        before, cells = online_cells(stem)
        assert cells, f"{stem} has no cell tagged 'online'"
        for number, cell in enumerate(cells):
            for off, on in SWITCHES.items():
                cell = cell.replace(off, on)
            code = "\n".join([*context_for(cell, before), cell])
            script += [f"out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n    exec({code!r}, {{}})",
                       f"outputs[{stem + str(number)!r}] = out.getvalue()"]
    script.append("print('RESULT ' + json.dumps(outputs))")
    mirror = build_mirror().start()
    try:
        done = run_python("\n".join(script), online_env(tmp_path, mirror.url, mirror.url + "/gensim-data",
                                                         COURSE_PLAIN_PROGRESS="1"))
    finally:
        mirror.stop()
    assert mirror.unknown == [], "the mirror was asked for something it does not serve"
    outputs = result(done)
    for stem, expected in NOTEBOOKS.items():
        printed = "".join(text for key, text in outputs.items() if key.startswith(stem))
        assert expected in printed and "Skipped" not in printed and "Kept" not in printed, printed
