import random

import numpy as np
import pytest
import torch

from helpers.device import available_devices, one_cpu_thread, pick_device, seed_everything


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
    with pytest.raises(ValueError, match="non-negative"):
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
