"""Apps in rollup cells: packed beside model and key, and cells written before apps were recorded still read."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.attribution import App
from empirio.domain.usage import QUARTER, Totals, pack_cells, unpack_cells

HOUR_START = 1_790_000_000 - 1_790_000_000 % 3600


@given(st.text(max_size=300), st.text(max_size=300))
def test_an_app_from_any_headers_fits_in_a_cell_name_and_round_trips(referer: str, title: str) -> None:
    app = App.from_headers({"http-referer": referer, "x-title": title})
    totals = Totals(requests=1, cost=5)
    cells = {(HOUR_START + QUARTER, "m/x", "key_1", app.name): totals}
    back = unpack_cells(HOUR_START, pack_cells(HOUR_START, cells))
    assert list(back) == list(cells) and back[next(iter(cells))].as_dict() == totals.as_dict()
    assert len(app.name) <= 200


def test_cells_packed_before_apps_existed_read_as_no_app() -> None:
    old = json.dumps({"2\u001fm/x\u001fkey_1": Totals(requests=3).pack()})
    [(quarter, model, key_id, app)] = unpack_cells(HOUR_START, old)
    assert (quarter - HOUR_START, model, key_id, app) == (2 * QUARTER, "m/x", "key_1", "")
