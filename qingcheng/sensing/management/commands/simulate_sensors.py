"""Publish realistic readings of the demo devices to the broker, with faults and anomalies."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from qingcheng.sensing.demo import Simulator
from qingcheng.sensing.mqtt import Publisher


class Command(BaseCommand):
    help = "Publish simulated readings of the synthetic demo devices (Ctrl-C to stop)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--root", default="city")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between rounds")
        parser.add_argument("--rounds", type=int, default=0, help="0 = forever")
        parser.add_argument("--fault-rate", type=float, default=0.01, help="share of devices that misbehave")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        sim = Simulator(seed=options["seed"], fault_rate=options["fault_rate"])
        if not sim.devices:
            self.stderr.write("no synthetic devices: run `manage.py load_demo_sensors` first")
            return
        pub = Publisher(host=options["host"], port=options["port"])
        n = 0
        try:
            while options["rounds"] == 0 or n < options["rounds"]:
                started = time.monotonic()
                sent = 0
                for topic, body in sim.round(root=options["root"]):
                    pub.publish(topic, body)
                    sent += 1
                n += 1
                self.stdout.write(f"round {n}: {sent} messages ({sim.faults_summary()})")
                time.sleep(max(0.0, options["interval"] - (time.monotonic() - started)))
        except KeyboardInterrupt:
            pass
        finally:
            pub.close()
