"""Plotting helpers shared by the notebooks: each draws on a given matplotlib Axes and labels it fully."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.patches as mpatches
import numpy as np

from helpers import checks
from helpers.i18n import _

if TYPE_CHECKING:
    from helpers.gradients import LabResult

# --- RNN gradients ---

LEGEND_SIZE = 9  # points, for legends readable at about 90 dpi


def plot_step_norms(ax, curves: dict, title: str | None = None, ylabel: str | None = None) -> None:
    """Plot a per-time-step gradient norm against t = 1..T (log scale), one line per labelled curve.

    The default title is "Gradient reaching each time step", the default y label "||dL/dh_t|| (log scale)" (in
    the course's language)."""
    title = _("Gradient reaching each time step") if title is None else title
    ylabel = _(r"$\|\partial L / \partial h_t\|$ (log scale)") if ylabel is None else ylabel
    for label, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        ax.plot(np.arange(1, len(norms) + 1), np.where(norms > 0, norms, np.nan), label=str(label))
    ax.set_yscale("log")
    ax.set_xlabel(_("time step t (1 = first token, T = last)"))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if len(curves) > 1:
        ax.legend(fontsize=LEGEND_SIZE)


def plot_training_steps(ax, curves: dict, ylabel: str, title: str, log: bool = False,
                        thresholds: dict | None = None, chance: float | None = None) -> None:
    """Plot a per-training-step series (loss, gradient norm) per labelled curve.

    `thresholds` maps a curve's label to its clipping threshold, drawn as a dashed line in the curve's colour;
    `chance` draws the loss of a uniform guess as a dotted grey line.
    """
    thresholds = thresholds or {}
    unknown = set(thresholds) - set(curves)
    if unknown:
        raise ValueError(f"thresholds for curves that are not plotted: {sorted(map(str, unknown))}")
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        few = np.isfinite(values).sum() < 5  # e.g. a run that diverged at once: show its points as markers
        (line,) = ax.plot(np.arange(1, len(values) + 1), values, label=str(label), lw=1, marker="o" if few else None)
        if thresholds.get(label) is not None:
            ax.axhline(thresholds[label], color=line.get_color(), ls="--", lw=1.2,
                       label=_("threshold {threshold:g}").format(threshold=thresholds[label]))
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", lw=1.5, label=_("chance (ln 4 ≈ {chance:.3f})").format(chance=chance)
                   if abs(chance - np.log(4)) < 1e-9 else _("chance ({chance:.3g})").format(chance=chance))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(_("training step"))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if len(curves) > 1 or thresholds or chance is not None:
        ax.legend(fontsize=LEGEND_SIZE)


def plot_lab_result(fig, result: LabResult) -> None:
    """Draw the RNN lab's three panels on `fig`: per-time-step gradient norms, loss, total gradient norm."""
    fig.clear()
    ax_steps, ax_loss, ax_norm = fig.subplots(1, 3)
    plot_step_norms(ax_steps, {_("before training"): result.norms_before,
                               _("after {steps} steps").format(steps=result.steps): result.norms_after},
                    title=_("{kind}, T = {seq_len}: gradient per time step").format(kind=result.kind.upper(),
                                                                                     seq_len=result.seq_len))
    plot_training_steps(ax_loss, {_("loss"): result.loss}, _("cross-entropy"), _("Training loss"), chance=np.log(4))
    finite = np.asarray(result.loss, dtype=float)
    finite = finite[np.isfinite(finite)]
    # From 0, so that a model stuck at chance (ln 4) does not look like it is learning on a zoomed axis.
    ax_loss.set_ylim(0, max(1.6, 1.05 * float(finite.max())) if len(finite) else 1.6)
    total = _("total gradient norm")
    plot_training_steps(ax_norm, {total: result.grad_norm}, _("norm before clipping (log)"),
                        _("Total gradient norm"), log=True,
                        thresholds={total: result.clip} if result.clip is not None else None)
    fig.tight_layout()


def plot_accuracy_vs_length(ax, table, chance: float | None = 0.25,
                            title: str = "Remembering the first token", colors: dict | None = None) -> None:
    """Mean accuracy against sequence length per model variant (one row per run in `table`), seeds as dots;
    `colors` maps a variant to its colour (so that several panels agree)."""
    for variant, rows in table.groupby("variant", sort=False):
        mean = rows.groupby("seq_len")["accuracy"].mean()
        line, = ax.plot(mean.index, mean.values, marker="o", label=f"{variant} (mean)",
                        color=(colors or {}).get(variant))
        ax.scatter(rows["seq_len"], rows["accuracy"], color=line.get_color(), alpha=0.35, s=14)
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.0%})")
    ax.set_xlabel("sequence length T (first token + T-1 distractors)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=LEGEND_SIZE)


def plot_accuracy_bars(ax, table, seq_len: int, chance: float | None = 0.25, colors: dict | None = None,
                       title: str | None = None) -> None:
    """At one sequence length, a bar per variant (mean accuracy, first variant on top) with its seeds as dots."""
    rows = table[table["seq_len"] == seq_len]
    names = list(dict.fromkeys(rows["variant"]))
    if not names:
        raise ValueError(f"no runs at seq_len={seq_len}; the table has {sorted(set(table['seq_len']))}")
    for i, name in enumerate(names):
        values = rows.loc[rows["variant"] == name, "accuracy"].to_numpy()
        y = len(names) - 1 - i
        ax.barh(y, values.mean(), color=(colors or {}).get(name, f"C{i}"), alpha=0.6)
        ax.scatter(values, np.full(len(values), y), color="k", s=12, zorder=3)
    if chance is not None:
        ax.axvline(chance, color="grey", ls=":", label=_("chance ({chance:.0%})").format(chance=chance))
        ax.legend(fontsize=LEGEND_SIZE, loc="lower left")
    ax.set_yticks(range(len(names))[::-1], names)
    ax.set_ylim(-1.5, len(names) - 0.5)  # a free row under the last bar, for the legend
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(_("test accuracy at T = {seq_len} (bar: mean, dots: seeds)").format(seq_len=seq_len))
    ax.set_title(title or _("Same budget for every model, T = {seq_len}").format(seq_len=seq_len))
    ax.grid(True, axis="x", alpha=0.3)


# --- RNN sequence models ---


def uniform_label(bpc: float) -> str:
    """The legend label of the language-model lab's uniform-guess line."""
    return _("uniform guess ({bpc:.2f})").format(bpc=bpc)


def plot_tbptt_windows(ax, windows: list[list[str]], title: str | None = None) -> None:
    """Draw windows[w][row] (each window's input text per stream) as boxes, the state carried between windows.

    The default title is "Truncated BPTT: the state carried along each stream" (in the course's language)."""
    title = _("Truncated BPTT: the state carried along each stream") if title is None else title
    n_rows, x = len(windows[0]), 0.0
    for number, window in enumerate(windows):
        width = max(len(text) for text in window)
        for row, text in enumerate(window):
            y = n_rows - 1 - row
            ax.add_patch(mpatches.FancyBboxPatch((x, y - 0.3), width, 0.6, boxstyle="round,pad=0.05",
                                                 facecolor=f"C{number}", alpha=0.25, edgecolor=f"C{number}"))
            ax.text(x + width / 2, y, " ".join(text), ha="center", va="center", family="monospace", fontsize=12)
            if number + 1 < len(windows):  # the state handed to the same row's next window
                ax.annotate("", xy=(x + width + 0.9, y), xytext=(x + width + 0.1, y),
                            arrowprops=dict(arrowstyle="->", lw=1.5))
        ax.text(x + width / 2, n_rows - 0.35, _("window {number}").format(number=number + 1), ha="center",
                va="bottom", fontsize=11)
        if number + 1 < len(windows):
            ax.axvline(x + width + 0.5, color="C3", ls="--", lw=1.2)
            ax.text(x + width + 0.5, -0.6, _("state carried, detached:\ngradients stop here"), ha="center",
                    va="top", color="C3", fontsize=10, bbox=dict(facecolor="white", edgecolor="none"))
        x += width + 1.0
    ax.set_xlim(-0.3, x - 0.7)
    ax.set_ylim(-1.6, n_rows + 0.2)
    ax.set_yticks(range(n_rows), [_("stream {number}").format(number=n_rows - y) for y in range(n_rows)],
                  fontsize=11)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom", "left"]].set_visible(False)
    ax.set_title(title, fontsize=12)


def plot_bpc_curves(ax, histories: dict, title: str | None = None) -> None:
    """Per model, validation bits/char (solid) and training bits/char measured at each epoch's end (dashed).

    The default title is "Bits per character while training" (in the course's language)."""
    title = _("Bits per character while training") if title is None else title
    for label, history in histories.items():
        epochs = history["epoch"]
        (line,) = ax.plot(epochs, history["val_bpc"], marker="o", label=_("{label}: validation").format(label=label))
        ax.plot(epochs, history["train_bpc"], ls="--", marker="x", lw=1, color=line.get_color(),
                label=_("{label}: training (at epoch end)").format(label=label))
    ax.xaxis.get_major_locator().set_params(integer=True)  # whole epochs only
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(_("bits per character (lower is better)"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_running_mean_lag(ax, history, label: str, title: str | None = None, color: str = "C0") -> None:
    """For one model: the mean training loss over each epoch (in bits) against the model measured at the epoch's end.

    The two end-of-epoch curves are drawn as plot_bpc_curves draws them (solid and dashed in `color`). The default
    title is "Why a running mean lies above" (in the course's language)."""
    title = _("Why a running mean lies above") if title is None else title
    epochs = history["epoch"]
    ax.plot(np.asarray(epochs) - 0.5, np.asarray(history["train_loss"]) / np.log(2), ls=":", marker="s",
            color="grey", label=_("{label}: training, mean over the epoch (drawn mid-epoch)").format(label=label))
    ax.plot(epochs, history["train_bpc"], ls="--", marker="x", lw=1, color=color,
            label=_("{label}: training, at epoch end").format(label=label))
    ax.plot(epochs, history["val_bpc"], marker="o", color=color,
            label=_("{label}: validation, at epoch end").format(label=label))
    ax.xaxis.get_major_locator().set_params(integer=True)  # whole epochs only
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(_("bits per character"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_lm_lab(ax, runs: dict, current, uniform: float, unigram: float, title: str | None = None) -> None:
    """Language-model lab: one validation curve per (kind, seq_len) run, the current one bold, with two references.

    The default title is "Validation bits per character while training" (in the course's language)."""
    title = _("Validation bits per character while training") if title is None else title
    for key, run in runs.items():
        bold = key == current
        ax.plot(run["chars_seen"], run["val_bpc"], marker="o" if bold else None, lw=2.5 if bold else 1.5,
                alpha=1 if bold else 0.7,
                label=_("{kind}, seq_len {seq_len}").format(kind=str(key[0]).upper(), seq_len=key[1]))
    ax.axhline(uniform, color="k", ls=":", lw=1, label=uniform_label(uniform))
    ax.axhline(unigram, color="grey", ls="--", lw=1, label=_("frequencies only ({bpc:.2f})").format(bpc=unigram))
    ax.set_xlabel(_("training characters read"))
    ax.set_ylabel(_("validation bits per character"))
    ax.set_ylim(top=uniform + 1.2)  # room for the legend above the curves and the reference lines
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper right", ncol=3)


def plot_influence(ax, profiles: dict, t: int, title: str | None = None) -> None:
    """Per model, the change of the output at every step when only the input at step t is replaced (log scale).

    The default title is "Which outputs change when one input changes" (in the course's language)."""
    title = _("Which outputs change when one input changes") if title is None else title
    for label, change in profiles.items():
        change = np.asarray(change, dtype=float)
        ax.plot(np.arange(len(change)), np.where(change > 0, change, np.nan), marker=".", label=str(label))
    ax.axvline(t, color="k", ls=":", lw=1, label=_("changed input (step {t})").format(t=t))
    ax.set_yscale("log")
    ax.set_xlabel(_("time step s"))
    ax.set_ylabel(_("largest change of the output at s\n(log scale; exact zeros not drawn)"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


# --- text classifier ---


def plot_loss_curves(ax, histories: dict, title: str | None = None) -> None:
    """Training (solid) and validation (dashed) loss per epoch of each labelled History; dot = lowest validation."""
    title = _("Loss per epoch") if title is None else title
    for index, (label, history) in enumerate(histories.items()):
        color = f"C{index}"
        ax.plot(history["epoch"], history["loss"], color=color, label=_("{label} (train)").format(label=label))
        if "val_loss" in history:
            val = history["val_loss"]
            ax.plot(history["epoch"][: len(val)], val, color=color, ls="--",
                    label=_("{label} (validation)").format(label=label))
            kept = int(np.argmin(val))  # the epoch whose weights early stopping keeps
            ax.plot(kept + 1, val[kept], "o", color=color)
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(_("binary cross-entropy"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_confusion(ax, labels, predictions, names=("negative", "positive"), title: str = "Confusion matrix",
                   vmax: float | None = None):
    """Confusion matrix of true labels (rows) against predicted labels (columns), with counts; returns the image.

    Give the same `vmax` to matrices that are compared, so one colour means one count in all of them."""
    from sklearn.metrics import ConfusionMatrixDisplay

    names = [_(name) for name in names]  # in the course's language
    display = ConfusionMatrixDisplay.from_predictions(labels, predictions, display_labels=names, ax=ax,
                                                      colorbar=False, cmap="Blues", im_kw={"vmin": 0, "vmax": vmax})
    ax.set_title(title)
    return display.im_


def plot_confusions(axes, labels, predictions: dict, names=("negative", "positive")) -> None:
    """Side-by-side confusion matrices (one per labelled set of predictions) on one shared colour scale."""
    if len(axes) != len(predictions):
        raise ValueError(f"need one Axes per model: {len(axes)} Axes for {len(predictions)} models")
    labels = np.asarray(labels)
    vmax = max(np.bincount(labels * 2 + np.asarray(p), minlength=4).max() for p in predictions.values())
    for index, (ax, (title, predicted)) in enumerate(zip(axes, predictions.items())):
        image = plot_confusion(ax, labels, predicted, names, title=title, vmax=vmax)
        if index:
            ax.set_ylabel("")  # the rows are labelled once, on the left
    axes[0].figure.colorbar(image, ax=list(axes), label="sentences (same scale for all)")


def plot_accuracy_comparison(ax, scores: dict, chance: float | None = 0.5, band: float | None = None,
                             title: str | None = None, xlim: tuple[float, float] = (0.0, 1.0)) -> None:
    """Each model's mean per-fold accuracy (a diamond) ± one sample std (ddof = 1), dots per fold; chance ± `band`
    (draw the band for one fold's test size when the dots are folds)."""
    title = _("Cross-validated accuracy (mean ± sample std over folds)") if title is None else title
    names = list(scores)
    means = [float(np.mean(scores[name])) for name in names]
    stds = [float(np.std(scores[name], ddof=1)) if len(scores[name]) > 1 else 0.0 for name in names]
    positions = np.arange(len(names))[::-1]
    for index, (y, name) in enumerate(zip(positions, names)):
        ax.errorbar(means[index], y, xerr=stds[index], fmt="D", color=f"C{index % 10}", ms=7, capsize=4)
        ax.plot(scores[name], [y - 0.18] * len(scores[name]), "k.", ms=5, label=_("one fold") if index == 0 else None)
        ax.annotate(f"{means[index]:.3f}", (means[index], y), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize="small")
    ax.set_yticks(positions, names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    if chance is not None:
        ax.axvline(chance, color="k", ls="--", lw=1, label=_("chance ({chance:g})").format(chance=chance))
        if band is not None:
            ax.axvspan(chance - band, chance + band, color="grey", alpha=0.2,
                       label=_("coin flips: 95 % within ± {band:.3f}").format(band=band))
    # The legend's marker in black: the colours only tell the models apart. A proxy, drawn nowhere on the axes.
    mean_marker = ax.errorbar([0.0], [0.0], xerr=[0.0], fmt="D", color="k", ms=7, capsize=4)
    mean_marker.remove()
    handles, labels = ax.get_legend_handles_labels()
    ax.legend([mean_marker, *handles], [_("mean ± sample std"), *labels], fontsize="small", loc="lower left")
    ax.set_xlim(*xlim)
    ax.set_xlabel(_("accuracy"))
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)


# --- Word2Vec vs BERT ---


def _sense_order(senses) -> tuple[np.ndarray, list[str]]:
    """Indices that group the items by sense (in order of first appearance) and the sense names."""
    names = list(dict.fromkeys(senses))
    order = np.concatenate([[i for i, s in enumerate(senses) if s == name] for name in names]).astype(int)
    return order, names


def plot_sense_heatmap(ax, sims, senses, title: str | None = None,
                       vmin: float | None = None, vmax: float | None = None, colorbar: bool = True):
    """Heat map of a pairwise similarity matrix with the items grouped by sense and the blocks outlined.

    Returns the image, so that several panels can share one colour bar (`colorbar=False`, then `fig.colorbar`).
    """
    sims = np.asarray(sims, dtype=float)
    if sims.ndim != 2 or sims.shape != (len(senses), len(senses)):
        raise ValueError(f"need a square matrix with one row per sense label: {sims.shape} vs {len(senses)} labels")
    title = _("Cosine similarity, ordered by sense") if title is None else title
    order, names = _sense_order(list(senses))
    image = ax.imshow(sims[np.ix_(order, order)], cmap="viridis", interpolation="nearest", vmin=vmin, vmax=vmax)
    sizes = [list(senses).count(name) for name in names]
    edges = np.cumsum(sizes)[:-1] - 0.5
    for edge in edges:
        ax.axhline(edge, color="white", lw=1.5)
        ax.axvline(edge, color="white", lw=1.5)
    centres = np.cumsum(sizes) - np.array(sizes) / 2 - 0.5
    ax.set_xticks(centres, names)
    ax.set_yticks(centres, names)
    ax.set_xlabel(_("sentence, grouped by sense"))
    ax.set_ylabel(_("sentence, grouped by sense"))
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=_("cosine similarity"))
    return image


def plot_gap_by_layer(ax, gaps, title: str | None = None) -> None:
    """Per layer, the within − across cosine gap of each word (a column of `gaps`), the mean over words in black."""
    title = _("Same-sense minus different-sense similarity, per layer") if title is None else title
    words = [column for column in gaps.columns if column != "mean"]
    for index, word in enumerate(words):
        ax.plot(gaps.index, gaps[word], color=f"C{index}", marker="o", ms=3, lw=1, alpha=0.8, label=word)
    ax.plot(gaps.index, gaps[words].mean(axis=1), color="k", marker="o", lw=2.5, label=_("mean over words"))
    ax.axhline(0.0, color="0.5", lw=1, ls="--", label=_("no separation (0)"))
    ax.set_xticks(list(gaps.index))
    ax.set_xlabel(_("layer (0 = input embeddings)"))
    ax.set_ylabel(_("within − across mean cosine"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")


def plot_accuracy_by_layer(ax, reports: dict, baselines: dict | None = None, chance: float = 0.5,
                           chance_label: str | None = None, title: str | None = None,
                           band: tuple | None = None, band_label: str | None = None,
                           layers=None, legend: bool = True, tops: dict | None = None,
                           tops_label: str | None = None) -> None:
    """Per layer, the nearest-centroid accuracy of each word and their mean; constant baselines as lines.

    A baseline that sits on the chance level should be named in `chance_label`, not drawn a second time.
    `band`, (bottom, top) per layer, is shaded grey; `tops` maps each word to its own band top per layer, drawn
    as short dashes of the word's colour; `layers`, a list of layers, zooms the axes onto those layers
    and the scores at them; `legend=False` leaves the legend to the caller (a figure legend, say).
    """
    title = _("Leave-one-out sense accuracy") if title is None else title
    band_label = _("random-label band") if band_label is None else band_label
    tops_label = _("each word's own band top") if tops_label is None else tops_label
    xs = list(next(iter(reports.values())).index)  # the layers drawn
    if band is not None:
        band = tuple(np.asarray(edge, dtype=float) for edge in band)
    if layers is not None:  # zoom: only the chosen layers are drawn, so no line comes in from off the panel
        reports = {word: report.loc[list(layers)] for word, report in reports.items()}
        at = [xs.index(layer) for layer in layers]
        band = None if band is None else tuple(edge[at] for edge in band)
        tops = None if tops is None else {word: np.asarray(top, dtype=float)[at] for word, top in tops.items()}
        xs = list(layers)
    if band is not None:
        ax.fill_between(xs, band[0], band[1], step="mid", color="0.6", alpha=0.3, lw=0, label=band_label)
    for index, (word, report) in enumerate(reports.items()):
        ax.plot(report.index, report["loo_accuracy"], color=f"C{index}", marker="o", ms=3, lw=1, alpha=0.8,
                label=word)
    for index, top in enumerate((tops or {}).values()):
        ax.plot(xs, np.asarray(top, dtype=float), color=f"C{index}", ls="none", marker="_", ms=14, mew=2,
                zorder=4)  # above the baselines drawn next
    if tops:  # one legend entry for all the words' dashes, in a neutral grey
        ax.plot([], [], color="0.4", ls="none", marker="_", ms=14, mew=2, label=tops_label)
    mean = np.mean([report["loo_accuracy"].to_numpy() for report in reports.values()], axis=0)
    ax.plot(xs, mean, color="k", marker="o", lw=2.5, label=_("mean over words"))
    for index, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color="C9", ls=["-.", (0, (5, 2))][index % 2], lw=1.5, label=name)  # unlike the band
    ax.axhline(chance, color="k", ls="--", lw=1, label=chance_label or _("chance ({chance:g})").format(chance=chance))
    ax.set_xticks(xs)
    ax.set_ylim(0, 1.05)
    if layers is not None:  # zoom: the chosen layers, the words' scores and the band's top at them
        shown = [report["loo_accuracy"].to_numpy(dtype=float) for report in reports.values()]
        shown += [] if band is None else [band[1]]
        shown += [np.asarray(top, dtype=float) for top in (tops or {}).values()]
        low, high = float(np.min(np.concatenate(shown))), float(np.max(np.concatenate(shown)))
        pad = max(0.02, 0.05 * (high - low))
        ax.set_xlim(min(layers) - 0.3, max(layers) + 0.3)
        ax.set_ylim(max(0.0, low - pad), min(1.05, high + pad))
    ax.set_xlabel(_("layer (0 = input embeddings)"))
    ax.set_ylabel(_("accuracy"))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the axes: it covers no point


def plot_sense_pca(ax, vectors, senses, title: str, single=None, single_label: str | None = None) -> np.ndarray:
    """2-D PCA of vectors coloured by sense; `single`, one more vector of the same space, is projected with the
    same PCA and drawn as a star. Returns the 2-D coordinates (the single point last)."""
    from sklearn.decomposition import PCA

    points = np.asarray(vectors, dtype=float)
    if len(points) != len(senses):
        raise ValueError(f"need one sense label per vector: {len(points)} vectors but {len(senses)} labels")
    pca = PCA(n_components=2, random_state=0).fit(points)
    if single is not None:
        points = np.vstack([points, np.asarray(single, dtype=float)[None, :]])
    coords = pca.transform(points)
    for index, name in enumerate(dict.fromkeys(senses)):
        mask = np.array([s == name for s in senses])
        ax.scatter(*coords[: len(senses)][mask].T, s=25, color=f"C{index}", alpha=0.8, label=name)
    if single is not None:
        ax.scatter(*coords[-1], marker="*", s=300, color="k", label=single_label or _("single vector"))
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return coords


# --- word embeddings ---


def tsne_perplexity(n_points: int, preferred: float = 30.0) -> float:
    """A t-SNE perplexity that suits `n_points`: `preferred`, lowered to (n - 1) / 3 for small sets."""
    if n_points < 2:
        raise ValueError(f"a 2-D map needs at least 2 points, got {n_points}")
    return float(max(1.0, min(preferred, (n_points - 1) / 3)))


def project_2d(vectors, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project [n, dim] vectors to [n, 2] with 'pca' or 'tsne' (perplexity from tsne_perplexity)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    method = checks.one_of("projection", method, ("pca", "tsne"))
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError(f"need an [n >= 2, dim] matrix of vectors, got shape {vectors.shape}")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(vectors)
    tsne = TSNE(n_components=2, perplexity=tsne_perplexity(len(vectors)), init="pca",
                learning_rate="auto", random_state=seed)
    with threadpool_limits(1):  # a few hundred points at most: threads only wait for each other (seconds, not ms)
        return tsne.fit_transform(vectors)


def plot_word_map(ax, words: list[str], vectors, method: str = "pca", title: str | None = None,
                  labels: list[str] | None = None, groups: list[str] | None = None, seed: int = 0) -> np.ndarray:
    """Scatter words on a 2-D PCA or t-SNE map, labelling `labels` (default: every word) so that no two labels
    overlap, and colouring by `groups` (one group name per word, shown in a legend); return the 2-D points."""
    words = list(words)
    if len(words) != len(vectors):
        raise ValueError(f"need one vector per word: {len(words)} words, {len(vectors)} vectors")
    if groups is not None and len(groups) != len(words):
        raise ValueError(f"need one group per word: {len(words)} words, {len(groups)} groups")
    points = project_2d(vectors, method, seed)
    if groups is None:
        ax.scatter(points[:, 0], points[:, 1], s=14, color="tab:blue", alpha=0.7, zorder=4)  # above the labels
    else:
        for group in dict.fromkeys(groups):
            mask = np.array([g == group for g in groups])
            ax.scatter(points[mask, 0], points[mask, 1], s=18, alpha=0.85, label=str(group), zorder=4)
        ax.legend(fontsize="small", loc="best", title=_("group"), title_fontsize="small")
    short = {"pca": "PCA", "tsne": "t-SNE"}[method]
    name = short if method == "pca" else _("t-SNE (perplexity {perplexity:.1f})").format(
        perplexity=tsne_perplexity(len(words)))
    ax.set_title(title or _("Word vectors on a 2-D {name} map").format(name=name))
    ax.set_xlabel(_("{method} axis 1").format(method=short))
    ax.set_ylabel(_("{method} axis 2").format(method=short))
    ax.grid(True, alpha=0.3)
    shown = set(words if labels is None else labels)
    chosen = [i for i, word in enumerate(words) if word in shown]
    place_labels(ax, [words[i] for i in chosen], points[chosen])
    return points


def place_labels(ax, labels: list[str], points, fontsize: float = 9, steps: int = 300) -> None:
    """Write each label next to its point, pushing overlapping labels apart (a thin line joins a label that had
    to move to its point). Works in screen pixels, so call it after the axes' final limits are set."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(labels) != len(points):
        raise ValueError(f"need one point per label: {len(labels)} labels, {len(points)} points")
    ax.margins(0.12)
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())  # freeze the limits: labels must not rescale the map
    style = dict(fontsize=fontsize, ha="center", va="center", bbox=dict(boxstyle="square,pad=0.05", fc="white",
                                                                          ec="none", alpha=0.6))
    texts = [ax.annotate(label, xy, xytext=xy, **style) for label, xy in zip(labels, points)]
    if not texts:
        return
    renderer = ax.figure.canvas.get_renderer()
    size = np.array([[t.get_window_extent(renderer).width, t.get_window_extent(renderer).height] for t in texts])
    size += 4  # a little air around each label
    anchor = ax.transData.transform(points)
    start = anchor + size / 2 + 2  # up and to the right of the point
    centre = start + np.arange(len(texts))[:, None] * 1e-3  # no two labels start at exactly the same place
    box = ax.get_window_extent(renderer)
    for _step in range(steps):
        gap = centre[:, None, :] - centre[None, :, :]
        overlap = (size[:, None, :] + size[None, :, :]) / 2 - np.abs(gap)
        hit = (overlap > 0).all(-1) & ~np.eye(len(texts), dtype=bool)
        if not hit.any():
            break
        axis = np.argmin(overlap, axis=-1)  # push along the direction that needs the smaller move
        push = np.where(np.arange(2) == axis[..., None], overlap / 2 + 0.5, 0.0)
        centre += (hit[..., None] * push * np.sign(gap)).sum(1) * 0.5
        centre = np.clip(centre, [box.x0, box.y0] + size / 2, [box.x1, box.y1] - size / 2)
    inverse = ax.transData.inverted()
    for text, xy, position, first in zip(texts, points, centre, start):
        text.xyann = tuple(inverse.transform(position))
        if np.hypot(*(position - first)) > 6:
            ax.plot(*np.transpose([xy, inverse.transform(position)]), color="0.5", lw=0.6, zorder=0)


# --- Word embeddings: skip-gram and negative sampling ---


def skipgram_scheme(sentence: list[str], centre: int, window: int, vocabulary: list[str],
                    negatives: list[str], context: int | None = None):
    """Draw skip-gram on one sentence and return the figure: the centre word and its window, the (centre, context)
    pairs `embeddings.skipgram_pairs` builds for it, and the two ways of scoring one pair: a softmax over the whole
    `vocabulary`, or one sigmoid for the true context plus one per word of `negatives` (negative sampling).
    `context` picks the scored pair's context position (default: the first word after the centre)."""
    import matplotlib.pyplot as plt

    from helpers.embeddings import skipgram_pairs

    sentence, vocabulary, negatives = list(sentence), list(vocabulary), list(negatives)
    if not 0 <= centre < len(sentence):
        raise ValueError(f"centre must be a position of the {len(sentence)}-word sentence, got {centre}")
    missing = sorted(set(sentence + negatives) - set(vocabulary))
    if missing:
        raise ValueError(f"words not in the vocabulary: {missing}")
    positions = skipgram_pairs([np.arange(len(sentence))], window)  # positions as ids: repeated words stay apart
    mine = np.sort(positions[positions[:, 0] == centre, 1])  # the context positions, left to right
    if len(mine) == 0:
        raise ValueError("the centre word has no neighbour in the sentence")
    context = centre + 1 if context is None and centre + 1 in mine else int(mine[0]) if context is None else context
    if context not in mine:
        raise ValueError(f"position {context} is not within {window} words of the centre")
    word, target = sentence[centre], sentence[context]

    fig = plt.figure(figsize=(11, 5.2), dpi=90)
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.15], hspace=0.25, wspace=0.08)
    top, soft, neg = fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    for ax in (top, soft, neg):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")

    def box(ax, x, y, text, colour, gid=None, size=11):
        return ax.text(x, y, text, ha="center", va="center", fontsize=size, gid=gid,
                       bbox=dict(boxstyle="round,pad=0.3", fc=colour, ec="0.4"))

    step = 0.8 / len(sentence)
    xs = 0.18 + step * (np.arange(len(sentence)) + 0.5)
    low, high = xs[max(centre - window, 0)] - step / 2, xs[min(centre + window, len(sentence) - 1)] + step / 2
    top.add_patch(mpatches.FancyBboxPatch((low, 0.68), high - low, 0.22, boxstyle="round,pad=0.01",
                                          fc="none", ec="tab:blue", ls="--"))
    top.text(high, 0.93, _("window = {window} on each side").format(window=window), ha="right", va="bottom",
             color="tab:blue", fontsize=9)
    for i, (x, w) in enumerate(zip(xs, sentence)):
        colour = "gold" if i == centre else "lightblue" if i in mine else "white"
        box(top, x, 0.79, w, colour, gid="sentence")
    top.text(xs[centre], 0.6, _("centre"), ha="center", fontsize=9, color="0.3")
    top.text(0.0, 0.79, _("1. centre word\n    and its window"), fontsize=10, va="center")
    top.text(0.0, 0.36, _("2. the pairs it\n    gives"), fontsize=10, va="center")
    pair_x = 0.18 + (0.8 / len(mine)) * (np.arange(len(mine)) + 0.5)
    for x, j in zip(pair_x, mine):
        box(top, x, 0.36, f"({word}, {sentence[j]})", "palegreen" if j == context else "lightblue", gid="pair")
    top.text(0.0, 0.06, _("3. score one pair, ({word}, {target}), in one of two ways (c: the centre's vector, "
                          "w, o, n: context vectors):").format(word=word, target=target), fontsize=10, va="center")

    soft.set_title(_("skip-gram: softmax over the whole vocabulary"), fontsize=11)
    cols = 4
    rows = -(-len(vocabulary) // cols)
    for k, v in enumerate(vocabulary):
        x, y = 0.14 + 0.24 * (k % cols), 0.88 - 0.5 * (k // cols) / max(rows - 1, 1)
        box(soft, x, y, v, "palegreen" if v == target else "0.93", gid="vocabulary", size=9)
    soft.text(0.5, 0.1, _("{scores} scores c·w + b_w (one per word w), then a softmax:\n"
                          "loss = −log p({target} | {word})").format(scores=len(vocabulary), target=target, word=word),
              ha="center", va="center", fontsize=10)

    neg.set_title(_("negative sampling: 1 + k sigmoids (k = {k} here)").format(k=len(negatives)), fontsize=11)
    box(neg, 0.22, 0.75, target, "palegreen", gid="positive")
    neg.text(0.22, 0.55, "σ(c·o) → 1", ha="center", fontsize=10)
    neg.text(0.22, 0.42, _("the true context"), ha="center", fontsize=9, color="0.3")
    for x, n in zip(np.linspace(0.52, 0.88, len(negatives)), negatives):
        box(neg, x, 0.75, n, "mistyrose", gid="negative")
    neg.text(0.70, 0.55, _("σ(−c·n) → 1 for each"), ha="center", fontsize=10)
    neg.text(0.68, 0.42, _("random words (the noise distribution)"), ha="center", fontsize=9, color="0.3")
    neg.text(0.5, 0.1, _("{scores} scores, whatever the vocabulary's size:\n"
                         "loss = −log σ(c·o) − Σ log σ(−c·n)").format(scores=1 + len(negatives)),
             ha="center", va="center", fontsize=10)
    neg.add_patch(mpatches.Rectangle((0.0, 0.0), 1, 1, fill=False, ec="0.7"))
    soft.add_patch(mpatches.Rectangle((0.0, 0.0), 1, 1, fill=False, ec="0.7"))
    return fig
