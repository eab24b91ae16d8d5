#!/usr/bin/env python
"""Benchmark of locate(lon, lat) on the full Hohhot demo grid set.

Measures single lookups through the public `locate()` (and the bare index lookup), a vectorised batch of
100,000 points, the index build time and memory, and in the same run two baselines: a brute-force
`contains` scan over every grid (vectorised per point) and a plain shapely STRtree query per point.

    .venv/bin/python benchmarks/locate.py            # full size
    .venv/bin/python benchmarks/locate.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import gc
import time

from _common import django_setup, emit, percentile, rss_bytes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    single_n = 20_000 if args.quick else 200_000
    batch_n = 100_000
    brute_n = 50 if args.quick else 300

    django_setup("locate")
    import numpy as np
    import shapely

    from qingcheng.demo.city import load_demo_city
    from qingcheng.geo import spatial
    from qingcheng.geo.models import UnitGrid
    from qingcheng.geo.selectors import locate

    started = time.perf_counter()
    load_demo_city()
    setup_s = time.perf_counter() - started

    rows = list(UnitGrid.objects.filter(valid_to__isnull=True).values_list("id", "code", "geometry"))
    gc.collect()
    rss_before = rss_bytes()
    t0 = time.perf_counter()
    index = spatial.SpatialIndex.build(1, rows)
    build_s = time.perf_counter() - t0
    rss_after = rss_bytes()
    spatial.invalidate()
    spatial.get_index()  # the process-wide index that locate() uses

    rng = np.random.default_rng(args.seed)
    min_x, min_y, max_x, max_y = shapely.total_bounds(index.geoms)
    candidates_x = rng.uniform(min_x, max_x, batch_n * 3)
    candidates_y = rng.uniform(min_y, max_y, batch_n * 3)
    hit = index.lookup_many(candidates_x, candidates_y) >= 0
    xs, ys = candidates_x[hit][:batch_n], candidates_y[hit][:batch_n]
    assert len(xs) == batch_n, "not enough points inside the grid layer"

    # Single lookups through the public function.
    lon_list, lat_list = xs.tolist(), ys.tolist()
    timings = []
    perf = time.perf_counter_ns
    for i in range(single_n):
        j = i % batch_n
        t = perf()
        locate(lon_list[j], lat_list[j])
        timings.append(perf() - t)
    t0 = time.perf_counter()
    for i in range(single_n):
        j = i % batch_n
        locate(lon_list[j], lat_list[j])
    locate_s = time.perf_counter() - t0
    timings.sort()

    t0 = time.perf_counter()
    for i in range(single_n):
        j = i % batch_n
        index.lookup(lon_list[j], lat_list[j])
    bare_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    batch = index.lookup_many(xs, ys)
    batch_s = time.perf_counter() - t0
    assert (batch >= 0).all()

    # Baseline 1: brute-force contains over every grid, one vectorised scan per point.
    geoms = index.geoms
    t0 = time.perf_counter()
    agree = 0
    for i in range(brute_n):
        found = np.nonzero(shapely.intersects_xy(geoms, lon_list[i], lat_list[i]))[0]
        agree += int(found.min() == batch[i])
    brute_s = time.perf_counter() - t0
    # Baseline 2: a plain STRtree query per point.
    tree = shapely.STRtree(geoms)
    points = shapely.points(xs[: min(single_n, 20_000)], ys[: min(single_n, 20_000)])
    t0 = time.perf_counter()
    for point in points:
        tree.query(point, predicate="intersects")
    strtree_s = time.perf_counter() - t0

    single_per_s = single_n / locate_s
    brute_per_s = brute_n / brute_s
    emit(
        "locate",
        {
            "metric": "single_lookups_per_s",
            "value": round(single_per_s, 1),
            "unit": "1/s",
            "baseline_metric": "bruteforce_lookups_per_s",
            "baseline_value": round(brute_per_s, 2),
            "ratio": round(single_per_s / brute_per_s, 1),
            "higher_is_better": True,
        },
        {
            "grids": len(index),
            "single_lookups": single_n,
            "single_p50_us": round(percentile(timings, 0.50) / 1000, 2),
            "single_p99_us": round(percentile(timings, 0.99) / 1000, 2),
            "bare_index_lookups_per_s": round(single_n / bare_s, 1),
            "batch_points": batch_n,
            "batch_points_per_s": round(batch_n / batch_s, 1),
            "plain_strtree_query_per_s": round(len(points) / strtree_s, 1),
            "bruteforce_points": brute_n,
            "bruteforce_agreement": f"{agree}/{brute_n}",
            "index_build_s": round(build_s, 3),
            "index_rss_mb": round((rss_after - rss_before) / 2**20, 1),
            "raster_cells": int(index.raster.size),
            "mixed_cells": len(index.candidates),
            "demo_city_setup_s": round(setup_s, 2),
        },
    )


if __name__ == "__main__":
    main()
