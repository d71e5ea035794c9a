"""What the signals stage found, as tables (see :mod:`pysnop.workbook.render.signals`, which
draws them): made by the stage before the run draws anything, so without the drawing code
(openpyxl loads when the run first draws: pysnop.workbook.sheet_names says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# (column of Signals.shift_rows, header); "… then": if demand stays at actual ÷ forecast
SHIFT_COLUMNS = (
    ("sku", "sku"), ("location", "location"), ("kind", "kind"), ("direction", "direction"),
    ("tracking_signal", "tracking signal"), ("actual_units", "actual, 4 wks"),
    ("forecast_units", "forecast, 4 wks"), ("ratio", "actual ÷ forecast"),
    ("routed_to", "routed to"), ("change", "re-projection"), ("status_before", "status now"),
    ("status_after", "status then"), ("first_risk_after", "risk week then"),
    ("lost_after", "lost units then"), ("margin_at_risk_after", "margin then"))
# the Review's shorter list, with labels that fit its columns
REVIEW_SHIFT_COLUMNS = (
    ("sku", "sku"), ("location", "location"), ("kind", "kind"), ("direction", "direction"),
    ("tracking_signal", "signal"), ("ratio", "act ÷ fcst"), ("change", "re-projection"),
    ("status_before", "status now"), ("status_after", "status then"),
    ("first_risk_after", "risk week then"))
WORSE_COLUMNS = (("source", "source"), ("cells", "node-weeks"),
                 ("source_wape", "source WAPE"), ("consensus_wape", "consensus WAPE"))
SHIFT_TITLE = "DEMAND SHIFT"


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c, *_ in columns})


@dataclass
class Signals:
    """What the signals stage found (see the module doc).

    shift_rows: one row per DEMAND SHIFT (kind "DEMAND SHIFT") and per knock-on row whose
    risk the re-projection changes (kind "knock-on"), columns of SHIFT_COLUMNS;
    first_week, last_week: the 4 weeks the tracking signal sums over (None without shifts);
    consensus_worse: the sources the consensus was less accurate than (WORSE_COLUMNS);
    window_weeks: the trailing accuracy window of that comparison.
    """

    shift_rows: pd.DataFrame = field(default_factory=lambda: _empty(SHIFT_COLUMNS))
    first_week: object = None
    last_week: object = None
    consensus_worse: pd.DataFrame = field(default_factory=lambda: _empty(WORSE_COLUMNS))
    window_weeks: int = 8

    @property
    def shifts(self) -> int:
        return int((self.shift_rows["kind"] == SHIFT_TITLE).sum()) if len(self.shift_rows) \
            else 0


__all__ = ["REVIEW_SHIFT_COLUMNS", "SHIFT_COLUMNS", "SHIFT_TITLE", "WORSE_COLUMNS", "Signals"]
