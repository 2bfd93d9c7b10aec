"""Wide records: long free text on a share of records and many custom text fields (``EmulatorConfig.wide_*``).

Many real orgs keep long notes in their records: a Description pasted from an e-mail thread, multi-line
textareas filled by web forms, dozens of custom fields. With ``wide_modules`` set, the records of those modules
get them:

- every ``wide_every``-th record (index ``wide_every - 1``, ``2 * wide_every - 1``, …) carries a
  ``Description`` of exactly ``wide_text_chars`` characters, many lines (the others keep their usual short one);
- ``wide_custom_fields`` custom fields are appended: every other one a multi-line textarea (``Wide_Notes_N``,
  100–2,000 characters on half of the records, else null), the rest single-line text fields (``Wide_Text_N``,
  up to 255 characters, null on a third).

The text is cut from one deterministic pool of lines (words, punctuation, quotes, commas, tabs, non-ASCII
letters and emoji), so rendering costs a slice, not a word loop: a million wide records render as fast as
narrow ones. The same value comes out of Get Records, ``?ids=``, ``/{id}`` and Bulk Read's CSV.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from .hashing import mix
from .schema import FieldDef, ModuleDef

if TYPE_CHECKING:
    from .config import EmulatorConfig

WIDE_GENS = frozenset({"wide_description", "wide_notes", "wide_text"})
"""Value generators of this module (``FieldDef.gen``)."""

_WORDS = ("account", "follow-up", "pricing", "renewal", "contract", "demo", "onboarding", "integration", "support",
          "quarterly", "review", "budget", "approval", "pilot", "rollout", "migration", "training", "invoice",
          "shipment", "priority", "feedback", "proposal", "meeting", "call", "e-mail", "partner", "expansion",
          "Zürich", "São Paulo", "東京", "naïve", "façade", "Привет", "😀", "🚀", "O'Brien", "50%", "$1,200.00",
          "a/b", "#42", "(urgent)", "\"quoted\"", "semi;colon", "x<y>z", "back\\slash", "tab\there")
_POOL_LINES = 4_000


class WideShape(NamedTuple):
    """How wide the long values are: every ``every``-th record's Description has ``chars`` characters."""

    every: int = 10
    chars: int = 5_000


@lru_cache(maxsize=1)
def _pool() -> tuple[str, tuple[int, ...]]:
    """The text pool and the offsets of the lines a value may start at (built once per process)."""
    lines = []
    for i in range(_POOL_LINES):
        h = mix(9001, i)
        n = 4 + h % 18
        words = " ".join(_WORDS[mix(h, k) % len(_WORDS)] for k in range(n))
        lines.append(f"{i % 97 + 1}. {words[0].upper()}{words[1:]}, noted by the sales team.")
    text = "\n".join(lines)
    starts, at = [], 0
    for line in lines[: _POOL_LINES // 2]:  # the first half: a value of up to half the pool fits after it
        starts.append(at)
        at += len(line) + 1
    return text, tuple(starts)


def long_text(h: int, chars: int) -> str:
    """``chars`` characters of multi-line text picked by hash ``h``; never starts or ends with white space."""
    text, starts = _pool()
    chars = max(1, chars)
    if chars >= len(text):  # longer than the pool: repeat it
        text = (text + "\n") * (chars // len(text) + 1)
    start = starts[h % len(starts)]
    if start + chars > len(text):
        start = 0
    return text[start : start + chars - 1] + "."


def widen(mdefs: dict[str, ModuleDef], config: EmulatorConfig) -> None:
    """Make the records of ``config.wide_modules`` wide (see the module docstring); a no-op when none is named.

    Raises:
        ValueError: A module name that is not a data module of the org.
    """
    for name in config.wide_modules:
        mdef = mdefs.get(name)
        if mdef is None or mdef.kind != "data":
            raise ValueError(f"wide_modules: {name!r} is not a data module")
        description = mdef.field("Description")
        if description is not None:
            description.extra = {**description.extra, "narrow_gen": description.gen}
            description.gen = "wide_description"
        for k in range(1, config.wide_custom_fields + 1):
            if k % 2:
                mdef.fields.append(FieldDef(f"Wide_Notes_{k}", "textarea", "wide_notes", label=f"Wide Notes {k}",
                                            textarea="large", custom_field=True, late_id=True))
            else:
                mdef.fields.append(FieldDef(f"Wide_Text_{k}", "text", "wide_text", label=f"Wide Text {k}",
                                            custom_field=True, late_id=True))


def wide_value(shape: WideShape, f: FieldDef, index: int, h: int, narrow: Any) -> Any:
    """The value of a wide field of the record at ``index`` (``h``: the field's hash at its current version).

    Args:
        shape: how long and how frequent the long Descriptions are.
        f: the field.
        index: the record's index in its module.
        h: hash of the field of this record.
        narrow: the field's usual value (a Description that is not long).
    """
    if f.gen == "wide_description":
        if shape.every > 0 and index % shape.every == shape.every - 1:
            return long_text(h, shape.chars)
        return narrow
    if f.gen == "wide_notes":
        return long_text(h, 100 + (h >> 8) % 1_900) if h % 2 == 0 else None
    if f.gen == "wide_text":
        return long_text(h, 1 + (h >> 8) % 255).replace("\n", " ") if h % 3 else None
    return None
