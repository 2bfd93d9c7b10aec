"""The deterministic hashes every generated value comes from (no other source of 'randomness' in the data)."""

from __future__ import annotations

import zlib

M64 = (1 << 64) - 1


def mix(*parts: int) -> int:
    """Fast 64-bit hash of integers (splitmix-style); the only source of 'randomness' in generated data."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & M64)) * 0xBF58476D1CE4E5B9) & M64
        x ^= x >> 29
        x = (x * 0x94D049BB133111EB) & M64
        x ^= x >> 32
    return x


def salt(name: str) -> int:
    """Stable salt of a name (crc32; Python's hash() is randomised per process)."""
    return zlib.crc32(name.encode())
