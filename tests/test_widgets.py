"""The RNN lab panel: controls drive recomputation; works with ipywidgets 7.7 and 8."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.device import available_devices  # noqa: E402
from helpers.gradients import LabResult, lab_experiment  # noqa: E402
from helpers.history import History  # noqa: E402
from helpers.widgets import CLIP_CHOICES, RNNLab, rnn_lab, summarize  # noqa: E402

FAST = {"steps": 4, "hidden_size": 8, "progress": False}


@pytest.fixture
def lab():
    panel = RNNLab(kind="rnn", seq_len=10, **FAST)
    panel.run()
    return panel


def test_first_run_draws_figure_and_numbers(lab):
    result = lab.last_result
    assert (result.kind, result.seq_len, result.clip, lab.runs) == ("rnn", 10, None, 1)
    assert len(result.norms_after) == 10 and len(result.loss) == 4
    assert lab.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "RNN" in lab.summary.value and "clip off" in lab.summary.value
    assert f"{result.norms_after[0]:.3e}" in lab.summary.value


def test_controls_have_stable_descriptions_and_live_in_one_panel(lab):
    descriptions = {name: control.description for name, control in lab.controls.items()}
    assert descriptions == {"kind": "RNN type", "seq_len": "Sequence length", "clip": "Clip threshold",
                            "device": "Device"}
    row = lab.panel.children[0]
    assert list(row.children) == list(lab.controls.values())
    assert lab.summary in lab.panel.children and lab.image in lab.panel.children


def test_device_choices_are_the_devices_this_machine_has(lab):
    assert list(lab.controls["device"].options) == available_devices()
    assert lab.controls["device"].value == available_devices()[0]


def test_changing_kind_and_length_recomputes_with_new_settings(lab):
    lab.controls["kind"].value = "gru"
    assert (lab.runs, lab.last_result.kind, lab.last_result.seq_len) == (2, "gru", 10)
    first_image = lab.image.value
    lab.controls["seq_len"].value = 25
    assert (lab.runs, lab.last_result.kind, lab.last_result.seq_len) == (3, "gru", 25)
    assert len(lab.last_result.norms_after) == 25
    assert lab.image.value != first_image and "T = 25" in lab.summary.value


def test_panel_result_is_the_experiment_for_its_settings(lab):
    lab.controls["kind"].value = "lstm"
    lab.controls["clip"].value = 0.1
    direct = lab_experiment("lstm", 10, 0.1, "cpu", steps=4, hidden_size=8, progress=False)
    for key in ("norms_before", "norms_after", "loss", "grad_norm"):
        np.testing.assert_allclose(getattr(lab.last_result, key), getattr(direct, key), rtol=1e-5)


def test_clip_threshold_caps_updates_and_off_means_no_clipping(lab):
    lab.controls["clip"].value = 0.01
    clipped = lab.last_result
    assert clipped.clip == 0.01 and "clip 0.01" in lab.summary.value
    assert "steps clipped: 4 of 4" in lab.summary.value  # gradients of an untrained model exceed 0.01
    lab.controls["clip"].value = "off"
    free = lab.last_result
    assert free.clip is None and "steps clipped: 0 of 4" in lab.summary.value
    # The first step's gradient is the same; clipping changes the update, so later losses differ.
    assert free.grad_norm[0] == pytest.approx(clipped.grad_norm[0], rel=1e-6)
    assert not np.allclose(free.loss[1:], clipped.loss[1:])
    unclipped = lab_experiment("rnn", 10, None, "cpu", steps=4, hidden_size=8, progress=False)
    np.testing.assert_allclose(free.loss, unclipped.loss, rtol=1e-6)


def test_clip_choices_include_off_and_a_custom_threshold():
    panel = RNNLab(clip=0.5, seq_len=10, **FAST)
    labels = [label for label, _ in panel.controls["clip"].options]
    assert labels[0] == "off" and "0.5" in labels and panel.controls["clip"].value == 0.5
    assert len(labels) == len(CLIP_CHOICES) + 1


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "transformer"}, "rnn"),
    ({"seq_len": 0}, "seq_len"),
    ({"seq_len": 1000}, "seq_len"),
    ({"clip": -1.0}, "clip must be a number > 0"),
    ({"device": "tpu"}, "device"),
])
def test_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RNNLab(**{**FAST, **kwargs})


def test_panel_has_no_output_widget_and_says_when_it_is_running():
    # An Output widget cleared from a callback breaks notebook execution without stored widget state (nbclient).
    panel = RNNLab(seq_len=10, steps=4, hidden_size=8, progress=True)
    shown = []
    panel.summary.observe(lambda change: shown.append(change["new"]), names="value")
    panel.run()
    assert shown[0] == "<i>running…</i>" and "RNN" in shown[-1]
    assert not any(isinstance(child, __import__("ipywidgets").Output) for child in panel.panel.children)


def test_failed_update_is_shown_in_the_panel(lab):
    lab.settings["steps"] = 0
    with pytest.raises(ValueError, match="steps"):
        lab.controls["kind"].value = "lstm"
    assert "Could not run" in lab.summary.value and "steps" in lab.summary.value


def test_rnn_lab_returns_the_panel_and_draws_a_static_copy():
    before = set(plt.get_fignums())
    panel = rnn_lab(kind="lstm", seq_len=10, **FAST)
    try:
        assert panel.lab.last_result.kind == "lstm" and panel.lab.runs == 1
        new = set(plt.get_fignums()) - before
        assert len(new) == 1  # the static copy, shown by the inline backend under the panel
        assert "Static copy" in plt.figure(new.pop())._suptitle.get_text()
    finally:
        plt.close("all")


def test_summary_reports_ratio_of_first_to_last_step():
    history = History(unit="step")
    for loss, norm in [(1.0, 2.0), (0.5, 0.5)]:
        history.log(loss=loss, grad_norm=norm, applied_norm=min(norm, 1.0))
    result = LabResult("rnn", 3, 1.0, "cpu", 2, np.array([1e-3, 1e-2, 1e-1]), np.array([1e-4, 1e-2, 1.0]),
                       history, accuracy=0.5)
    text = summarize(result)
    assert "ratio t=1 / t=T = 1.000e-04" in text and "steps clipped: 1 of 2" in text
    assert "final loss 0.7500" in text and "accuracy 50.0%" in text


# --- notebook 03: the language-model lab ---


from helpers import rnn  # noqa: E402
from helpers.widgets import LanguageModelLab, language_model_lab, lm_summary  # noqa: E402

TINY = {"train_chars": 3_000, "val_chars": 1_000, "epochs": 1, "hidden_size": 8, "sample_length": 20}


@pytest.fixture(scope="module")
def lm_lab():
    panel = LanguageModelLab(kind="rnn", seq_len=16, temperature=1.0, device="cpu", **TINY)
    panel.run()
    return panel


def test_lm_lab_first_run_reports_bpc_and_a_sample(lm_lab):
    last = lm_lab.last
    assert (last["kind"], last["seq_len"], last["device"], lm_lab.runs) == ("rnn", 16, "cpu", 1)
    assert last["sample"].startswith("the government ") and len(last["sample"]) == len("the government ") + 20
    assert lm_lab.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "RNN, sequence length 16" in lm_lab.summary.value and f"{last['val_bpc']:.2f}" in lm_lab.summary.value
    assert lm_lab.uniform > lm_lab.unigram > 0 and lm_lab.unigram < last["val_bpc"] + 2


def test_lm_lab_controls_have_stable_descriptions(lm_lab):
    descriptions = {name: control.description for name, control in lm_lab.controls.items()}
    assert descriptions == {"kind": "RNN type", "seq_len": "Sequence length", "temperature": "Temperature",
                            "device": "Device"}
    assert list(lm_lab.panel.children[0].children) == list(lm_lab.controls.values())


def test_lm_lab_temperature_resamples_without_training(lm_lab):
    trained = len(lm_lab.cache)
    before = lm_lab.last["sample"]
    lm_lab.controls["temperature"].value = 2.0
    assert len(lm_lab.cache) == trained and lm_lab.last["cached"] and lm_lab.last["temperature"] == 2.0
    assert lm_lab.last["sample"] != before and "temperature 2.0" in lm_lab.summary.value
    lm_lab.controls["temperature"].value = 1.0
    assert lm_lab.last["sample"] == before  # the sampler is seeded: same model and temperature, same text


def test_lm_lab_kind_and_length_train_new_models_that_match_the_helper(lm_lab):
    trained = len(lm_lab.cache)
    lm_lab.controls["kind"].value = "gru"
    lm_lab.controls["seq_len"].value = 24
    assert len(lm_lab.cache) == trained + 2 and not lm_lab.last["cached"]
    model = rnn.CharLM(len(lm_lab.vocab), 8, "gru", embed_size=16, seed=0)
    history = rnn.train_char_lm(model, lm_lab.train_ids, lm_lab.val_ids, seq_len=24, batch_size=32, epochs=1,
                                lr=1e-2, device="cpu", progress=False)
    assert lm_lab.last["val_bpc"] == pytest.approx(history.last("val_bpc"), rel=1e-5)


def test_lm_lab_says_it_is_training_and_shows_numbers_before_the_figure(lm_lab):
    events = []

    def record(change):
        events.append(("image" if change["owner"] is lm_lab.image else "summary", change["new"]))

    lm_lab.summary.observe(record, names="value")
    lm_lab.image.observe(record, names="value")
    try:
        kind = lm_lab.controls["kind"].value.upper()
        lm_lab.controls["seq_len"].value = 40  # a setting not trained yet
        assert events[0] == ("summary", f"<i>training {kind}, sequence length 40, device cpu…</i>")
        assert [name for name, _ in events] == ["summary", "summary", "image"]
        assert f"{kind}, sequence length 40" in events[1][1] and "trained;" in events[1][1]
        events.clear()
        lm_lab.controls["temperature"].value = 1.5  # cached: no status line; the figure is unchanged
        assert events == [("summary", lm_lab.summary.value)] and "from the cache" in events[0][1]
    finally:
        lm_lab.summary.unobserve(record, names="value")
        lm_lab.image.unobserve(record, names="value")


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "transformer"}, "rnn"), ({"seq_len": 4}, "seq_len"), ({"temperature": 0}, "temperature"),
    ({"device": "tpu"}, "device"), ({"prompt": "€uro"}, "prompt"), ({"epochs": 0}, "epochs"),
])
def test_lm_lab_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LanguageModelLab(**{**TINY, **kwargs})


def test_lm_lab_failed_update_is_shown_in_the_panel(lm_lab):
    lm_lab.settings["epochs"] = 0
    with pytest.raises(ValueError, match="epochs"):
        lm_lab.controls["kind"].value = "lstm"
    assert "Could not run" in lm_lab.summary.value
    lm_lab.settings["epochs"] = 1


def test_language_model_lab_trains_every_kind_and_draws_a_static_copy(capsys):
    before = set(plt.get_fignums())
    panel = language_model_lab(kind="gru", seq_len=16, device="cpu", **TINY)
    try:
        assert {key[0] for key in panel.lab.cache} == set(rnn.KINDS) and panel.lab.runs == 1
        new = set(plt.get_fignums()) - before
        assert len(new) == 1
        ax = plt.figure(new.pop()).axes[0]
        values = [bpc for run in panel.lab.cache.values() for bpc in run["val_bpc"]]
        assert "Static copy" in ax.get_title()
        assert ax.get_ylim()[0] < min(values) and max(values) < ax.get_ylim()[1]  # no point of a curve clipped
        printed = capsys.readouterr().out
        assert printed.startswith("GRU, sequence length 16") and panel.lab.last["sample"] in printed
    finally:
        plt.close("all")


def test_lm_summary_escapes_html():
    result = {"kind": "lstm", "seq_len": 8, "device": "cpu", "val_bpc": 3.14159, "updates": 12,
              "temperature": 0.5, "sample": "a <b> & c"}
    assert "a &lt;b&gt; &amp; c" in lm_summary(result, 1000) and "3.14 bits" in lm_summary(result, 1000)
    assert lm_summary(result, 1000, html=False).endswith("a <b> & c")
