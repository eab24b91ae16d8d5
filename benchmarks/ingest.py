#!/usr/bin/env python
"""Benchmark of MQTT ingestion against the real Mosquitto on 127.0.0.1:1883.

Noise monitors publish QoS 1 telemetry (1 % of them with excursions that raise threshold alarms);
`manage.py ingest_mqtt` processes (one, then two, in one shared-subscription group) store and evaluate
every message. Measured: sustained messages/s stored and evaluated, p99 delay from publish to alarm,
and in the same run the baseline of a bare paho-mqtt subscriber draining the same stream. Then a
kill-and-restart check: one of two ingesters is SIGKILLed mid-stream and restarted; every message must
be stored exactly once.

The publisher runs closed-loop (at most WINDOW messages published but not yet stored) so the broker's
per-client queue (Mosquitto max_queued_messages, 1000 by default) never overflows.

    .venv/bin/python benchmarks/ingest.py            # SQLite file var/bench-ingest.sqlite3
    .venv/bin/python benchmarks/ingest.py --quick    # smoke run
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/ingest.py
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import time
import uuid

from _common import ROOT, django_setup, emit, percentile

HOST, PORT = "127.0.0.1", 1883


def bare_drain(root: str, counter, ready) -> None:  # runs in a forked process, no Django
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{root}-bare", protocol=mqtt.MQTTv5)

    def on_message(c, u, m):
        with counter.get_lock():
            counter.value += 1

    client.on_message = on_message
    client.on_subscribe = lambda *a, **k: ready.set()
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(
        f"$share/qingcheng/{root}/+/+/+/+/telemetry", qos=1
    )
    client.connect(HOST, PORT)
    client.loop_forever()


class Ingesters:
    def __init__(self, root: str, ids: list[str], env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.procs: dict[str, subprocess.Popen] = {}
        for cid in ids:
            self.start(cid)

    def start(self, cid: str) -> None:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "ingest_mqtt", "--root", self.root, "--client-id", cid],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = proc.stdout.readline()
        if "ingesting" not in line:
            raise RuntimeError(f"ingester {cid} did not start: {line!r}")
        self.procs[cid] = proc

    def kill(self, cid: str) -> None:
        proc = self.procs.pop(cid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        from qingcheng.sensing.mqtt import discard_session

        for cid in list(self.procs):
            discard_session(cid)
        self.procs.clear()


def stored(prefix: str) -> int:
    from django.db import close_old_connections
    from django.db.models import Sum

    from qingcheng.sensing.models import IngestCounter

    close_old_connections()
    total = IngestCounter.objects.filter(
        source__startswith=prefix, reason__in=["stored", "duplicate"]
    ).aggregate(n=Sum("count"))["n"]
    return int(total or 0)


def publish_stream(pub, devices, root, n, seq0, progress, window, anomaly_ids, timeout=600.0):
    """Publish n messages round-robin over devices, closed-loop; return (elapsed seconds, timed_out)."""
    from qingcheng.sensing.ingest import topic_for

    topics = [topic_for("noise", area, dev, root=root) for dev, area in devices]
    rnd = random.Random(seq0)
    t0 = time.perf_counter()
    last_ts: dict[int, int] = {}
    sent = 0
    while sent < n:
        done = progress()
        while sent - done < window and sent < n:
            k = sent % len(devices)
            ts = max(int(time.time() * 1000), last_ts.get(k, 0) + 1)
            last_ts[k] = ts
            dev = devices[k][0]
            # a device of the anomaly set goes loud for a few readings now and then
            loud = dev in anomaly_ids and (sent // len(devices)) % 8 in (3, 4, 5)
            value = 80.0 + rnd.uniform(0, 3) if loud else 55.0 + rnd.uniform(-2, 2)
            body = json.dumps(
                {"ts": ts, "seq": seq0 + sent, "values": {"LAeq": round(value, 1)}}, separators=(",", ":")
            )
            pub.publish(topics[k], body, qos=1)
            sent += 1
        if time.perf_counter() - t0 > timeout:
            return time.perf_counter() - t0, True
        time.sleep(0.002)
    while progress() < n:
        if time.perf_counter() - t0 > timeout:
            return time.perf_counter() - t0, True
        time.sleep(0.01)
    return time.perf_counter() - t0, False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_devices, n_msgs, n_kill = (200, 2000, 2000) if args.quick else (3000, 60000, 20000)
    # A smoke run must end promptly even when something is wrong; its figures then say timed_out.
    phase_timeout = 90.0 if args.quick else 600.0

    django_setup("ingest")
    from django.db import connection

    from qingcheng.sensing.defaults import seed_defaults
    from qingcheng.sensing.models import Alarm, AlarmRule, Device, IngestCounter, Reading, RuleState
    from qingcheng.sensing.mqtt import Publisher, broker_reachable

    if not broker_reachable(HOST, PORT):
        raise SystemExit("MQTT broker 127.0.0.1:1883 is unreachable")

    # --- set-up: grids, devices, rules (this database is the benchmark's own)
    from qingcheng.geo.models import UnitGrid

    if not UnitGrid.objects.exists():
        from qingcheng.geo.testing import build_test_city

        build_test_city()
    seed_defaults()
    AlarmRule.objects.filter(device_type="noise").update(event_code="")  # measure alarms, not case intake
    RuleState.objects.all().delete()
    Alarm.objects.all().delete()
    Reading.objects.all().delete()
    IngestCounter.objects.all().delete()
    Device.objects.filter(device_id__startswith="BENCH-").delete()
    grids = list(
        UnitGrid.objects.filter(valid_to__isnull=True).values_list("code", "centroid_lon", "centroid_lat")
    )
    Device.objects.bulk_create(
        [
            Device(
                device_id=f"BENCH-{i:05d}",
                device_type="noise",
                name=f"bench {i}",
                lon=grids[i % len(grids)][1],
                lat=grids[i % len(grids)][2],
                area_code=grids[i % len(grids)][0],
                controlled_properties=["LAeq"],
                synthetic=True,
            )
            for i in range(n_devices)
        ],
        batch_size=1000,
    )
    devices = [(f"BENCH-{i:05d}", grids[i % len(grids)][0]) for i in range(n_devices)]
    anomaly_ids = {devices[i][0] for i in range(0, n_devices, 100)}
    connection.close()
    env = {**os.environ, "LOG_LEVEL": "ERROR"}
    run = uuid.uuid4().hex[:8]
    window_one, window_two = 800, 1500
    pub = Publisher(client_id=f"bench-pub-{run}")
    figures: dict[str, object] = {
        "devices": n_devices,
        "messages_per_phase": n_msgs,
        "database": connection.vendor,
    }

    # --- baseline: bare paho subscriber draining the same stream
    root = f"benchbare{run}"
    counter, ready = mp.Value("q", 0), mp.Event()
    drain = mp.get_context("fork").Process(target=bare_drain, args=(root, counter, ready), daemon=True)
    drain.start()
    ready.wait(10)
    elapsed, _ = publish_stream(
        pub, devices, root, n_msgs, 0, lambda: counter.value, window_two, anomaly_ids, timeout=phase_timeout
    )
    bare = n_msgs / elapsed
    drain.terminate()
    figures["bare_drain_per_s"] = round(bare, 1)

    # --- one and two ingesters
    seq = 1_000_000
    rates = {}
    for n_ing, window in ((1, window_one), (2, window_two)):
        root = f"bench{n_ing}x{run}"
        ids = [f"{root}-ing{i}" for i in range(n_ing)]
        ing = Ingesters(root, ids, env)
        t_phase = time.time()
        try:
            elapsed, timed_out = publish_stream(
                pub,
                devices,
                root,
                n_msgs,
                seq,
                lambda r=root: stored(r),
                window,
                anomaly_ids,
                timeout=phase_timeout,
            )
        finally:
            ing.stop()
        rates[n_ing] = n_msgs / elapsed
        figures[f"timed_out_{n_ing}"] = timed_out
        if n_ing == 2:
            delays = sorted(
                (a.raised_at - a.observed_at).total_seconds() * 1000
                for a in Alarm.objects.filter(raised_at__gte=_aware(t_phase))
            )
            figures["alarms_two_ingesters"] = len(delays)
            figures["alarm_delay_p50_ms"] = round(percentile(delays, 0.50), 1)
            figures["alarm_delay_p99_ms"] = round(percentile(delays, 0.99), 1)
        seq += 1_000_000
    figures["msgs_per_s_one_ingester"] = round(rates[1], 1)
    figures["msgs_per_s_two_ingesters"] = round(rates[2], 1)

    # --- kill -9 one of two ingesters mid-stream, restart it, count
    root = f"benchkill{run}"
    ids = [f"{root}-ing0", f"{root}-ing1"]
    ing = Ingesters(root, ids, env)
    seq_kill = seq
    killed = {"done": False}

    def progress() -> int:
        done = stored(root)
        if not killed["done"] and done >= n_kill // 3:
            ing.kill(ids[0])
            killed["done"] = True
            ing.start(ids[0])
        return done

    try:
        _, timed_out = publish_stream(
            pub, devices, root, n_kill, seq_kill, progress, window_two, set(), timeout=min(phase_timeout, 300)
        )
    finally:
        ing.stop()
    got = (
        Reading.objects.filter(seq__gte=seq_kill, seq__lt=seq_kill + n_kill).values("seq").distinct().count()
    )
    figures["kill_restart_published"] = n_kill
    figures["kill_restart_stored_distinct"] = got
    figures["kill_restart_lost"] = n_kill - got
    figures["kill_restart_zero_loss"] = got == n_kill and not timed_out
    pub.close()

    value = figures["msgs_per_s_two_ingesters"]
    emit(
        "ingest",
        {
            "metric": "msgs_per_s_two_ingesters",
            "value": value,
            "unit": "1/s",
            "baseline_metric": "bare_drain_per_s",
            "baseline_value": figures["bare_drain_per_s"],
            "ratio": round(value / figures["bare_drain_per_s"], 3),
            "higher_is_better": True,
        },
        figures,
    )


def _aware(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC)


if __name__ == "__main__":
    main()
