import pytest

from helpers.history import History


def test_log_numbers_rows_and_reads_columns():
    history = History(unit="step")
    history.log(loss=2.0)
    history.log(loss=1.0, accuracy=0.5)
    assert history["loss"] == [2.0, 1.0] and history["accuracy"] == [0.5]
    assert history["step"] == [1, 2] and len(history) == 2
    assert history.last("loss") == 1.0 and history.best("loss") == 1.0 and history.best("loss", "max") == 2.0
    assert history.names() == ["step", "loss", "accuracy"]


def test_missing_column_names_the_ones_there():
    history = History()
    history.log(loss=1)
    with pytest.raises(KeyError, match=r"no 'bpc'.*\['epoch', 'loss'\]"):
        history["bpc"]
    with pytest.raises(ValueError, match="mode"):
        history.best("loss", "lowest")


def test_to_frame_indexes_by_unit():
    history = History()
    history.log(loss=3)
    history.log(loss=2)
    frame = history.to_frame()
    assert frame.index.name == "epoch" and frame["loss"].tolist() == [3.0, 2.0]
    assert History().to_frame().empty
