"""One record of a training run, returned by every training helper."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from helpers import checks


@dataclass
class History:
    """Named numbers logged once per `unit` ('epoch' or 'step'): e.g. history['val_loss'] is a list."""

    unit: str = "epoch"
    rows: list[dict[str, float]] = field(default_factory=list)

    def log(self, **values: float) -> None:
        """Append one row, numbered from 1 in the column named after `unit`."""
        self.rows.append({self.unit: len(self.rows) + 1, **{k: float(v) for k, v in values.items()}})

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, name: str) -> bool:
        return any(name in row for row in self.rows)

    def __getitem__(self, name: str) -> list[float]:
        if name not in self:
            raise KeyError(f"no {name!r} in this history; it has {self.names()}")
        return [row[name] for row in self.rows if name in row]

    def names(self) -> list[str]:
        """The column names, in the order they were first logged."""
        return list(dict.fromkeys(name for row in self.rows for name in row))

    def last(self, name: str) -> float:
        """The last value logged under `name`."""
        return self[name][-1]

    def best(self, name: str, mode: str = "min") -> float:
        """The smallest (mode='min') or largest (mode='max') value logged under `name`."""
        mode = checks.one_of("mode", mode, ("min", "max"))
        return min(self[name]) if mode == "min" else max(self[name])

    def to_frame(self) -> pd.DataFrame:
        """The history as a table, one row per epoch or step."""
        return pd.DataFrame(self.rows).set_index(self.unit) if self.rows else pd.DataFrame()
