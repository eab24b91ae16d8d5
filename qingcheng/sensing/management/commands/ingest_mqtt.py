"""Run one MQTT ingester: `python manage.py ingest_mqtt --client-id ingest-1` (start several, each with
its own stable client id; the shared subscription splits the stream and each one's persistent session
keeps its unacknowledged messages across restarts)."""

from __future__ import annotations

import signal
import socket

from django.core.management.base import BaseCommand

from qingcheng.sensing.mqtt import SHARE_GROUP, Ingester


class Command(BaseCommand):
    help = "Ingest device telemetry from the MQTT broker (MQTT 5 shared subscription, QoS 1)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--client-id", default=f"qingcheng-ingest-{socket.gethostname()}")
        parser.add_argument("--root", default="city", help="topic root (first topic level)")
        parser.add_argument("--group", default=SHARE_GROUP, help="shared-subscription group")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--max-wait-ms", type=int, default=50)
        parser.add_argument(
            "--session-expiry", type=int, default=3600, help="seconds the broker keeps the session"
        )

    def handle(self, *args, **options):
        ingester = Ingester(
            client_id=options["client_id"],
            host=options["host"],
            port=options["port"],
            root=options["root"],
            group=options["group"],
            batch_size=options["batch_size"],
            max_wait=options["max_wait_ms"] / 1000.0,
            session_expiry=options["session_expiry"],
        )
        signal.signal(signal.SIGTERM, lambda *_: ingester.stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: ingester.stop_event.set())
        ingester.connect()
        self.stdout.write(f"ingesting {ingester.topic} as {ingester.client_id}", ending="\n")
        self.stdout.flush()
        ingester.run_forever()
        self.stdout.write(f"stopped: {ingester.totals}")
