"""Deterministic fault injection for /crm requests: latency, 429, 500 and dropped connections."""

from __future__ import annotations

import random
import threading

from .config import EmulatorConfig


class FaultInjector:
    """Draws one fault decision per /crm request, in arrival order, from a generator seeded with fault_seed."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._seed = config.fault_seed
        self._rng = random.Random(config.fault_seed)

    def draw(self) -> tuple[str | None, float]:
        """Return (fault, latency_seconds); fault is None, "drop", "429" or "500"."""
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
        fault = None
        if r < cfg.rate_drop:
            fault = "drop"
        elif r < cfg.rate_drop + cfg.rate_429:
            fault = "429"
        elif r < cfg.rate_drop + cfg.rate_429 + cfg.rate_500:
            fault = "500"
        return fault, latency
