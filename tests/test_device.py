import random

import numpy as np
import pytest
import torch

from helpers.device import available_devices, one_cpu_thread, pick_device, progress, run_on, seed_everything


def test_auto_picks_the_best_available_device():
    assert pick_device("auto").type == available_devices()[0]
    assert available_devices()[-1] == "cpu"


def test_cpu_is_always_there_and_case_is_ignored():
    assert pick_device("CPU") == torch.device("cpu")
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


def test_unknown_device_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown device 'tpu'.*'auto'.*'cuda'"):
        pick_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_device_names_the_available_ones():
    with pytest.raises(ValueError, match=r"not available.*\['cpu'\]|not available.*'cpu'"):
        pick_device("cuda")


def test_non_string_device_is_rejected():
    with pytest.raises(TypeError):
        pick_device(3)


def test_seed_everything_repeats_all_three_generators():
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    seed_everything(8)
    assert torch.rand(1).item() != first[2]


def test_negative_seed_is_rejected():
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        seed_everything(-1)


def test_one_cpu_thread_restores_the_thread_count_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with one_cpu_thread(torch.device("cpu")):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_one_cpu_thread_leaves_other_devices_alone():
    before = torch.get_num_threads()
    with one_cpu_thread(torch.device("meta")):
        assert torch.get_num_threads() == before


def test_run_on_seeds_picks_the_device_and_restores_threads():
    before = torch.get_num_threads()
    with run_on("cpu", seed=3) as dev:
        assert dev == torch.device("cpu") and torch.get_num_threads() == 1
        first = torch.rand(2)
    with run_on("cpu", seed=3):
        assert torch.equal(torch.rand(2), first)
    assert torch.get_num_threads() == before


def test_run_on_leaves_the_callers_generator_as_it_was():
    torch.manual_seed(11)
    expected = torch.rand(4)
    torch.manual_seed(11)
    with run_on("cpu", seed=3):
        torch.rand(100)
    assert torch.equal(torch.rand(4), expected)


def test_run_on_rejects_a_bad_seed_and_a_bad_device():
    with pytest.raises(ValueError, match="seed"):
        with run_on("cpu", seed=-2):
            pass
    with pytest.raises(ValueError, match="unknown device"):
        with run_on("gpu0"):
            pass


def test_progress_is_plain_text_when_asked(monkeypatch):
    from tqdm import tqdm as text_tqdm
    from tqdm.auto import tqdm as auto_tqdm

    monkeypatch.setenv("COURSE_PLAIN_PROGRESS", "1")
    bar = progress(range(3), disable=True)
    assert type(bar) is text_tqdm and list(bar) == [0, 1, 2]
    monkeypatch.delenv("COURSE_PLAIN_PROGRESS")
    assert isinstance(progress(range(3), disable=True), auto_tqdm)


def test_one_progress_keyword_everywhere_on_by_default_where_a_helper_trains():
    import importlib
    import inspect
    import pkgutil

    import helpers

    seen = {}
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            for parameter in inspect.signature(function).parameters.values():
                if "progress" in parameter.name or parameter.name in ("bar", "verbose", "quiet"):
                    assert parameter.name == "progress", f"{info.name}.{name} calls it {parameter.name!r}"
                    assert parameter.annotation in (bool, "bool"), f"{info.name}.{name}: progress: bool"
                    seen[f"{info.name}.{name}"] = parameter.default
    trainers = {name: default for name, default in seen.items()
                if name.split(".")[1].startswith(("train_", "cross_validate")) or name.endswith("_experiment")}
    assert len(trainers) >= 9 and all(trainers.values()), trainers
    assert seen["contextual.word_embeddings"] is False  # only computes with a trained model, called many times


def test_cpu_cores_counts_the_cores_this_process_may_use(monkeypatch, tmp_path):
    import os

    from helpers import device
    from helpers.device import cpu_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    monkeypatch.setattr(device, "CPU_QUOTA", str(tmp_path / "absent"))
    assert cpu_cores() == 2
    quota = tmp_path / "cpu.max"
    monkeypatch.setattr(device, "CPU_QUOTA", str(quota))
    for text, cores in [("max 100000\n", 2), ("100000 100000\n", 1), ("50000 100000\n", 1), ("400000 100000", 2),
                        ("garbled", 2)]:
        quota.write_text(text)
        assert cpu_cores() == cores, text
    monkeypatch.setattr(device, "CPU_QUOTA", str(tmp_path / "absent"))
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert cpu_cores() == 1
