"""Parked events: list them, replay them. ``python -m shared.parked <service> list|replay ID|replay-all``.

An event is parked when its handler failed ``max_attempts`` times (or it was not a valid event);
the source moved on past it. Fix the cause (a handler bug, reference data), then replay.
"""

from __future__ import annotations

import argparse
import importlib
import json

from shared import config
from shared.consumer import Inbox
from shared.db import Database


def inbox_of(service: str) -> Inbox:
    projector = importlib.import_module(f"services.{service}.projection").PROJECTOR
    return Inbox(service, Database(config.database_url(service), size=1), projector)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.parked", description=__doc__)
    parser.add_argument("service", choices=config.SERVICES)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="open parked events (--all: replayed ones too)")
    listing.add_argument("--all", action="store_true")
    replay = commands.add_parser("replay", help="replay one parked event")
    replay.add_argument("id", type=int)
    commands.add_parser("replay-all", help="replay every open parked event, oldest first")
    args = parser.parse_args(argv)

    inbox = inbox_of(args.service)
    if args.command == "list":
        for row in inbox.parked(include_replayed=args.all):
            print(json.dumps(row, default=str, ensure_ascii=False))
        return 0
    ids = [args.id] if args.command == "replay" else [row["id"] for row in inbox.parked()]
    failed = 0
    for parked_id in ids:
        try:
            inbox.replay(parked_id)
            print(f"replayed {parked_id}")
        except Exception as exc:  # report and go on with the others; the event stays parked
            failed += 1
            print(f"parked event {parked_id} failed again: {exc}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
