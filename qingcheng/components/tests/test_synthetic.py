"""The synthetic inventory generator on the 12-grid test city."""

from collections import Counter

import numpy as np

from qingcheng.components.codes import parse_component_code
from qingcheng.components.models import Component
from qingcheng.components.synthetic import DATA_SOURCE, generate_synthetic_components
from qingcheng.geo import spatial


def test_500_components_inside_grids_with_unique_codes(city):
    created = generate_synthetic_components(count=500, seed=7, batch_size=120)
    assert created == 500
    rows = list(
        Component.objects.values_list("code", "grid_code", "lon", "lat", "state", "synthetic", "data_source")
    )
    assert len(rows) == 500 and len({r[0] for r in rows}) == 500
    index = spatial.get_index(force_check=True)
    found = index.lookup_many(np.array([r[2] for r in rows]), np.array([r[3] for r in rows]))
    assert (found != spatial.EMPTY).all()
    assert [str(index.codes[i]) for i in found] == [r[1] for r in rows]
    for code, grid_code, *_ in rows:
        assert parse_component_code(code).county == grid_code[:6]
    assert all(r[5] and r[6] == DATA_SOURCE for r in rows)
    states = Counter(r[4] for r in rows)
    assert states["intact"] / 500 > 0.85
    # Serials run 1..n without gaps within each (county, class).
    by_key: dict[str, list[int]] = {}
    for code, *_ in rows:
        by_key.setdefault(code[:10], []).append(int(code[10:]))
    for serials in by_key.values():
        assert sorted(serials) == list(range(1, len(serials) + 1))
    classes = Counter(code[6:10] for code, *_ in rows)
    assert classes.most_common(1)[0][0] in {"0118", "0402", "0305", "0102", "0103"}


def test_idempotent_and_continues_after_real_components(city, centre):
    from qingcheng.components import services

    lon, lat = centre(0, 0)
    services.component_create(actor=None, class_code="0118", lon=lon, lat=lat)
    assert generate_synthetic_components(count=200, seed=1) == 200
    assert generate_synthetic_components(count=200, seed=1) == 0
    assert Component.objects.count() == 201
    assert not Component.objects.filter(code="1501050118000001", synthetic=True).exists()
