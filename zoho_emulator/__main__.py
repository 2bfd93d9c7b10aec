"""CLI: ``python -m zoho_emulator --port 8000 --seed 1 --records 1000 --records-per-module Leads=2500``."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from .config import CREDITS_HEADER_MODES, EmulatorConfig
from .emulator import ZohoEmulator


def parse_counts(raw: str) -> dict[str, int]:
    """Parse ``Leads=2500,Deals=10``."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = part.partition("=")
        if not value:
            raise argparse.ArgumentTypeError(f"expected Module=N, got {part!r}")
        out[name.strip()] = int(value)
    return out


def build_parser() -> argparse.ArgumentParser:
    """Command-line options (a subset of EmulatorConfig; the rest keep their defaults)."""
    p = argparse.ArgumentParser(prog="python -m zoho_emulator", description="Local Zoho CRM v7 emulator")
    p.add_argument("--port", type=int, default=8000, help="TCP port on 127.0.0.1 (0 = free port)")
    p.add_argument("--seed", type=int, default=1, help="data and credential seed")
    p.add_argument("--records", type=int, default=20, help="records per module")
    p.add_argument("--records-per-module", type=parse_counts, default={}, help="e.g. Leads=2500,Deals=10")
    p.add_argument("--tz-offset", default="+05:30", help="offset of rendered datetimes")
    p.add_argument("--token-lifetime", type=int, default=3600, help="access-token lifetime, seconds")
    p.add_argument("--start-time", default=None, help="ISO-8601 start of the emulator clock")
    p.add_argument("--latency-ms", type=float, default=0, help="added latency per /crm request")
    p.add_argument("--concurrency-limit", type=int, default=None, help="429 above N requests in flight")
    p.add_argument("--rate-429", type=float, default=0.0, help="fraction of /crm requests answered 429")
    p.add_argument("--rate-500", type=float, default=0.0, help="fraction of /crm requests answered 500")
    p.add_argument("--rate-drop", type=float, default=0.0, help="fraction of /crm connections closed unanswered")
    p.add_argument("--rate-truncate", type=float, default=0.0, help="fraction of /crm answers cut mid-body")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault sequence")
    p.add_argument("--throttle-messages", choices=["specific", "documented"], default="specific",
                   help="429 messages: name only the cause, or Zoho's documented text naming both")
    p.add_argument("--daily-credit-budget", type=int, default=None, help="rolling 24 h credit budget")
    p.add_argument("--bulk-delay", type=float, default=1.0, help="seconds until a Bulk Read job completes")
    p.add_argument("--ims-inclusive", action="store_true", help="If-Modified-Since keeps Modified_Time >= header")
    p.add_argument("--no-territories", action="store_true",
                   help="territory management off: no Territories fields, /settings/territories answers an error")
    p.add_argument("--single-currency", action="store_true",
                   help="single-currency org: no Currency/Exchange_Rate fields, /org/currencies answers an error")
    p.add_argument("--deal-history-type", default="field_tracker", help="generated_type of the DealHistory module")
    p.add_argument("--pipeline-maps-probability", action="store_true",
                   help="pipeline stages (maps) also carry their probability")
    p.add_argument("--daily-credit-limit", type=int, default=None,
                   help="daily limit reported by X-API-CREDITS-REMAINING (default: the daily credit budget)")
    p.add_argument("--credits-remaining-header", choices=CREDITS_HEADER_MODES, default="half_used",
                   help="when to send X-API-CREDITS-REMAINING")
    p.add_argument("--wide-modules", default="", help="comma-separated modules with wide records, e.g. Leads")
    p.add_argument("--wide-every", type=int, default=10, help="every N-th wide record has a long Description")
    p.add_argument("--wide-text-chars", type=int, default=5000, help="length of the long Descriptions")
    p.add_argument("--wide-custom-fields", type=int, default=0, help="custom text fields added to wide modules")
    return p


def main(argv: list[str] | None = None) -> int:
    """Start the emulator, print one JSON line with the base URL and credentials, serve until Ctrl-C."""
    a = build_parser().parse_args(argv)
    cfg = EmulatorConfig(port=a.port, seed=a.seed, default_records=a.records, records_per_module=a.records_per_module,
                         tz_offset=a.tz_offset, token_lifetime=a.token_lifetime, start_time=a.start_time,
                         latency_ms=a.latency_ms, concurrency_limit=a.concurrency_limit, rate_429=a.rate_429,
                         rate_500=a.rate_500, rate_drop=a.rate_drop, rate_truncate=a.rate_truncate,
                         fault_seed=a.fault_seed, throttle_messages=a.throttle_messages,
                         daily_credit_budget=a.daily_credit_budget, bulk_delay=a.bulk_delay,
                         ims_inclusive=a.ims_inclusive, territories_enabled=not a.no_territories,
                         multi_currency=not a.single_currency, deal_history_generated_type=a.deal_history_type,
                         pipeline_maps_probability=a.pipeline_maps_probability,
                         daily_credit_limit=a.daily_credit_limit, credits_remaining_header=a.credits_remaining_header,
                         wide_modules=tuple(m for m in a.wide_modules.split(",") if m), wide_every=a.wide_every,
                         wide_text_chars=a.wide_text_chars, wide_custom_fields=a.wide_custom_fields)
    emu = ZohoEmulator(cfg).start()
    print(json.dumps({"base_url": emu.base_url, "client_id": emu.client_id, "client_secret": emu.client_secret,
                      "refresh_token": emu.refresh_token}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
