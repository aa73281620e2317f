"""Online options: which server a download really uses, a quick check that it answers, and errors that say what to do.

The course downloads through each ecosystem's own client (huggingface_hub, transformers and datasets for the
Hugging Face hub; gensim's downloader for gensim-data). The check here asks the same server the client will
ask (`HF_ENDPOINT` when set, e.g. a mirror), through the proxy the environment names (`HTTPS_PROXY`,
`HTTP_PROXY`, `NO_PROXY`), with a short timeout, so that no call can hang.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = 5.0  # seconds to wait for a server's first answer before calling it unreachable
DOWNLOAD_TIMEOUT = 30.0  # seconds a download may stall before it fails (gensim's downloader sets none)

HF_HELP = ("If huggingface.co is blocked where you are, use a mirror of the hub: set HF_ENDPOINT before "
           "starting Jupyter, or in the first cell before any import (e.g. HF_ENDPOINT=https://hf-mirror.com); "
           "behind a proxy, set HTTPS_PROXY.")
GENSIM_HELP = ("If GitHub is blocked where you are, set GENSIM_DATA_URL to a mirror of gensim-data's files "
               "(serving list.json, NAME/__init__.py and NAME/NAME.gz); behind a proxy, set HTTPS_PROXY.")


class OfflineError(ConnectionError):
    """An online-only resource could not be fetched: its server cannot be reached, or the download failed."""


def hf_endpoint() -> str:
    """The hub address huggingface_hub, transformers and datasets use: HF_ENDPOINT when set, else huggingface.co."""
    from huggingface_hub import constants

    wanted = os.environ.get("HF_ENDPOINT", "").rstrip("/")
    if wanted and wanted != constants.ENDPOINT:
        raise OfflineError(f"HF_ENDPOINT={wanted} was set after huggingface_hub was imported, which still uses "
                           f"{constants.ENDPOINT}: restart the kernel and set HF_ENDPOINT before any import "
                           "(in the first cell, or in the shell that starts Jupyter).")
    return constants.ENDPOINT


def gensim_urls() -> tuple[str, str]:
    """(list URL, file base URL) for gensim-data: GENSIM_DATA_URL when set (a mirror), else gensim's own."""
    import gensim.downloader as api

    mirror = os.environ.get("GENSIM_DATA_URL", "").rstrip("/")
    if mirror:
        return f"{mirror}/list.json", mirror
    return api.DATA_LIST_URL, api.DOWNLOAD_BASE_URL


def _proxy_for(url: str) -> str | None:
    """The proxy urllib (like httpx and requests) takes from the environment for `url`, if any."""
    host = urlsplit(url).hostname or ""
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(urlsplit(url).scheme)


def check_reachable(url: str, what: str, advice: str, timeout: float | None = None) -> None:
    """Raise OfflineError within about `timeout` seconds unless the server of `url` answers (any HTTP status)."""
    timeout = TIMEOUT if timeout is None else timeout
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "nlp-basics-course"})
    try:
        urllib.request.urlopen(request, timeout=timeout).close()  # uses HTTPS_PROXY / HTTP_PROXY / NO_PROXY
    except urllib.error.HTTPError:
        return  # an error status is still an answer: the server is there
    except (OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError) or isinstance(err, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        proxy = _proxy_for(url)
        via = f" through the proxy {proxy}" if proxy else ""
        raise OfflineError(f"{what} needs the internet: tried {url}{via} ({reason}). {advice} "
                           "Or use the offline options instead.") from None


def require_hub(what: str) -> None:
    """Raise OfflineError within seconds unless the hub the clients use answers (and offline mode is off)."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise OfflineError(f"{what} is not in the Hugging Face cache yet, and HF_HUB_OFFLINE=1 forbids downloading "
                           "it: unset HF_HUB_OFFLINE (and HF_DATASETS_OFFLINE) and try again.")
    check_reachable(hf_endpoint(), what, HF_HELP)


def hub_download(repo_id: str, patterns: list[str], repo_type: str = "model") -> Path:
    """Download the files of a hub repo that match `patterns` into the Hugging Face cache, showing the bytes."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    endpoint = hf_endpoint()
    try:
        return Path(snapshot_download(repo_id, repo_type=repo_type, allow_patterns=patterns,
                                      tqdm_class=_download_bar()))
    except (RepositoryNotFoundError, RevisionNotFoundError):
        raise OSError(f"{endpoint} has no {repo_type} {repo_id!r}: check the name") from None
    except Exception as err:  # the connection broke or stalled half-way (the hub's own timeouts)
        if http_status(err) == 404:  # a mirror's plain 404, without the hub's X-Error-Code header
            raise OSError(f"{endpoint} has no {repo_type} {repo_id!r}: check the name") from None
        if not isinstance(err, OSError) and type(err).__module__.split(".")[0] not in ("httpx", "httpx2"):
            raise
        raise OfflineError(f"downloading {repo_id!r} from {endpoint} failed: {err}. Try again; {HF_HELP}") from None


def http_status(err: BaseException | None) -> int | None:
    """The HTTP status of the answer behind an error, looking through the errors it wraps; None if there was none."""
    while err is not None:
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status is not None:
            return int(status)
        err = err.__cause__ or err.__context__
    return None


def _download_bar():
    """tqdm class for hub downloads: shown in Jupyter too (the hub's own hide themselves there), unless turned off."""
    from huggingface_hub.utils import are_progress_bars_disabled

    from helpers.device import progress_class

    if are_progress_bars_disabled():  # HF_HUB_DISABLE_PROGRESS_BARS=1, or turned off in code
        return None
    return progress_class()


@contextlib.contextmanager
def socket_timeout(seconds: float):
    """Give every socket opened inside the block a timeout (for clients that set none, like gensim's)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


@contextlib.contextmanager
def gensim_downloader():
    """gensim.downloader pointed at gensim_urls(), with a socket timeout so a stalled download fails."""
    import gensim.downloader as api

    list_url, base_url = gensim_urls()
    saved = api.DATA_LIST_URL, api.DOWNLOAD_BASE_URL, api._load_info.__defaults__
    # _load_info's default URL was bound when gensim was imported, so it is set here too
    api.DATA_LIST_URL, api.DOWNLOAD_BASE_URL = list_url, base_url
    api._load_info.__defaults__ = (list_url, *saved[2][1:])
    try:
        with socket_timeout(DOWNLOAD_TIMEOUT):
            yield api
    finally:
        api.DATA_LIST_URL, api.DOWNLOAD_BASE_URL, api._load_info.__defaults__ = saved


@contextlib.contextmanager
def hub_offline():
    """Hugging Face clients in offline mode inside the block: cache only, no request leaves the machine."""
    from huggingface_hub import constants

    modules = [constants] + [m for m in (sys.modules.get("datasets.config"),) if m is not None]
    saved = [m.HF_HUB_OFFLINE for m in modules]
    for module in modules:
        module.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        for module, value in zip(modules, saved):
            module.HF_HUB_OFFLINE = value
