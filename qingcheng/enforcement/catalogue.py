"""The catalogue of violations (违法行为/案由目录) with their legal bases (违则、罚则) and discretion
benchmarks (裁量基准), read from `data/violations.json` and written idempotently.

The loader takes the model classes as arguments so the data migration can pass the historical models
(`apps.get_model`) and a later re-load can pass the real ones; it never imports `models.py` itself.
Natural keys: a legal basis is (law_name, law_version, article), a violation its code, a discretion row
(violation, order). `data/SOURCES.md` says where every quoted text was read and what stays unverified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).resolve().parent / "data" / "violations.json"

BASIS_FIELDS = ("law_name", "law_version", "article")
VIOLATION_FIELDS = ("name", "domain", "description", "case_category_code")
LEVEL_FIELDS = (
    "level",
    "circumstances",
    "warning",
    "fine_min_fen",
    "fine_max_fen",
    "fine_unit",
    "other_penalties",
    "verified",
    "source",
)
# A quote shorter than this cannot be a provision's text; it is a placeholder someone forgot to fill.
MIN_QUOTE = 10


def catalogue_rows(path: Path | None = None) -> dict[str, Any]:
    """The catalogue file as data: {"scope_list": [...], "bases": [...], "violations": [...]}."""
    with (path or DATA_PATH).open(encoding="utf-8") as handle:
        return json.load(handle)


def _choices(model: Any, field: str) -> set[str]:
    return {value for value, _label in model._meta.get_field(field).choices}


def check_catalogue(data: dict[str, Any], *, domains: set[str], levels: set[str]) -> None:
    """Raise ValueError when the data would store something the catalogue promises never to show: a
    verified basis without its text, a violation without a 违则 or 罚则, a range with min above max."""
    ids: set[str] = set()
    keys: set[tuple[str, str, str]] = set()
    for basis in data["bases"]:
        key = tuple(basis[f] for f in BASIS_FIELDS)
        if basis["id"] in ids or key in keys:
            raise ValueError(f"duplicate legal basis {basis['id']} {key}")
        ids.add(basis["id"])
        keys.add(key)
        if basis["verified"] and len(basis["text"].strip()) < MIN_QUOTE:
            raise ValueError(f"verified legal basis {basis['id']} has no quoted text")
        if not basis["source"].strip():
            raise ValueError(f"legal basis {basis['id']} does not say where it was (or was not) checked")
    codes: set[str] = set()
    for row in data["violations"]:
        code = row["code"]
        if code in codes:
            raise ValueError(f"duplicate violation code {code}")
        codes.add(code)
        if row["domain"] not in domains:
            raise ValueError(f"{code}: unknown domain {row['domain']!r}")
        for side in ("violated", "penalised_by"):
            if not row[side]:
                raise ValueError(f"{code}: no {side} basis")
            unknown = set(row[side]) - ids
            if unknown:
                raise ValueError(f"{code}: unknown {side} basis {sorted(unknown)}")
        orders = [level["order"] for level in row["discretion"]]
        if len(orders) != len(set(orders)):
            raise ValueError(f"{code}: discretion rows share an order")
        for level in row["discretion"]:
            if level["level"] not in levels:
                raise ValueError(f"{code}: unknown discretion level {level['level']!r}")
            if not 0 <= level["fine_min_fen"] <= level["fine_max_fen"]:
                raise ValueError(f"{code}: discretion row {level['order']} has min above max")


def _upsert(manager: Any, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    """update_or_create that writes only when something differs, so a re-load touches nothing (and
    `updated_at` keeps meaning a real change). Returns the object and created/updated/unchanged."""
    obj = manager.filter(**lookup).first()
    if obj is None:
        return manager.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.save()
    return obj, "updated"


def load_catalogue(
    LegalBasis: Any,
    Violation: Any,
    DiscretionLevel: Any,
    data: dict[str, Any] | None = None,
    *,
    using: str | None = None,
) -> dict[str, int]:
    """Write the catalogue through the given model classes; safe to run again.

    Existing rows are matched by natural key and updated; the M2M sets of a violation are replaced by the
    catalogue's. Discretion rows beyond the catalogue's (added by a bureau in the admin) are left alone,
    because a penalty case may point at them. A violation's `active` flag is never touched, so a bureau
    that switched one off keeps it off. Returns counts per table and outcome, e.g. {"bases_created": 81}.
    """
    data = catalogue_rows() if data is None else data
    check_catalogue(data, domains=_choices(Violation, "domain"), levels=_choices(DiscretionLevel, "level"))
    counts: dict[str, int] = {
        f"{table}_{outcome}": 0
        for table in ("bases", "violations", "levels", "links")
        for outcome in ("created", "updated", "unchanged")
    }

    def manager(model: Any) -> Any:
        return model.objects.using(using) if using else model.objects.all()

    bases: dict[str, Any] = {}
    for row in data["bases"]:
        basis, outcome = _upsert(
            manager(LegalBasis),
            {f: row[f] for f in BASIS_FIELDS},
            {"text": row["text"], "verified": bool(row["verified"]), "source": row["source"]},
        )
        bases[row["id"]] = basis
        counts[f"bases_{outcome}"] += 1

    for row in data["violations"]:
        violation, outcome = _upsert(
            manager(Violation), {"code": row["code"]}, {f: row[f] for f in VIOLATION_FIELDS}
        )
        counts[f"violations_{outcome}"] += 1
        for side in ("violated", "penalised_by"):
            related = getattr(violation, side)
            wanted = {bases[i].pk for i in row[side]}
            if set(related.values_list("pk", flat=True)) == wanted:
                counts["links_unchanged"] += 1
            else:
                related.set([bases[i] for i in row[side]])
                counts["links_updated"] += 1
        for level in row["discretion"]:
            _obj, outcome = _upsert(
                manager(DiscretionLevel),
                {"violation": violation, "order": level["order"]},
                {f: level[f] for f in LEVEL_FIELDS},
            )
            counts[f"levels_{outcome}"] += 1
    return counts
