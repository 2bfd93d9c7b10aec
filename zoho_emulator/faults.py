"""Deterministic fault injection for /crm requests: latency, 429, 500, dropped or cut connections, proxy pages."""

from __future__ import annotations

import random
import threading

from .config import EmulatorConfig

# fault name -> the config attribute holding its rate, in the order the rates are stacked on one draw
FAULT_RATES: tuple[tuple[str, str], ...] = (
    ("drop", "rate_drop"),
    ("429", "rate_429"),
    ("500", "rate_500"),
    ("truncate", "rate_truncate"),
    ("502_html", "rate_502_html"),
    ("invalid_json", "rate_invalid_json"),
)


class FaultInjector:
    """Draws one fault decision per /crm request, in arrival order, from a generator seeded with fault_seed."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._seed = config.fault_seed
        self._rng = random.Random(config.fault_seed)

    def draw(self, kind: str | None = None) -> tuple[str | None, float]:
        """Return (fault, latency_seconds); fault is None or a name of ``FAULT_RATES``.

        One random number is drawn per request whatever its kind, so the sequence only depends on arrival order.
        """
        cfg = self.config
        with self._lock:
            if cfg.fault_seed != self._seed:  # a test changed the seed: restart the sequence
                self._seed = cfg.fault_seed
                self._rng = random.Random(cfg.fault_seed)
            r = self._rng.random()
            lat = cfg.latency_ms
            if isinstance(lat, (tuple, list)):
                latency = self._rng.uniform(float(lat[0]), float(lat[1])) / 1000
            else:
                latency = float(lat) / 1000
        if cfg.fault_kinds is not None and kind not in cfg.fault_kinds:
            return None, latency
        threshold = 0.0
        for name, attr in FAULT_RATES:
            threshold += float(getattr(cfg, attr))
            if r < threshold:
                return name, latency
        return None, latency
