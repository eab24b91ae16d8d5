"""NGSI-LD (ETSI GS CIM 009) rendering of devices (entities) and readings (temporal), content negotiation,
our own JSON-LD @context, the query language `q` (clause 4.9) and geo-queries (clause 4.10).

`q` is parsed by a lark LALR grammar into a small tree and evaluated against the rendered entity, so every
attribute an entity shows can be queried the same way: `pH>8.5`, `pH.observedAt>=2026-11-01T00:00:00Z`,
`location[type]=="Point"`, `status=="burning","lidOpen"`, `LAeq==60..70`, `name~="(?i)^测试"`,
`(pH>8.5|turbidity>1);deviceState=="active"`. The AND operator `;` binds tighter than the OR operator `|`;
parentheses group."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from qingcheng.core.errors import ValidationFailed
from qingcheng.core.inputs import date_in_range
from qingcheng.core.masking import mask_personal_data, mask_personal_text

from .models import Device
from .types import TYPES, TYPES_BY_CODE

LD_JSON = "application/ld+json"
JSON = "application/json"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
CORE = "https://uri.etsi.org/ngsi-ld/"
# Terms of our own (custom Device-based types) live under this IRI; Smart Data Model terms under theirs.
OWN_VOCAB = "urn:qingcheng:sensing:"
SDM = "https://smartdatamodels.org/"


class NgsiError(Exception):
    """An NGSI-LD ProblemDetails error (RFC 7807 body with an ETSI error type)."""

    def __init__(self, kind: str, status: int, title: str, detail: str = "") -> None:
        super().__init__(detail or title)
        self.kind, self.status, self.title, self.detail = kind, status, title, detail

    def body(self) -> dict[str, Any]:
        return {"type": ERRORS + self.kind, "title": self.title, "detail": self.detail[:500]}


def bad_request(title: str, detail: str = "") -> NgsiError:
    return NgsiError("BadRequestData", 400, title, detail)


class QueryError(NgsiError):
    def __init__(self, detail: str) -> None:
        super().__init__("BadRequestData", 400, "invalid q", detail)


# ---------------------------------------------------------------- content negotiation


def negotiate(accept: str | None) -> str:
    """`application/ld+json` or `application/json` for an Accept header (none, `*/*` and `application/*`
    mean JSON, clause 6.3.4); an Accept that allows neither raises NotAcceptable (406)."""
    if not accept or not accept.strip():
        return JSON
    offers = {LD_JSON: LD_JSON, JSON: JSON, "*/*": JSON, "application/*": JSON}
    ranked: list[tuple[float, int, int, str]] = []
    for position, item in enumerate(accept.split(",")[:20]):
        media, *params = (p.strip() for p in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        offer = offers.get(media.lower())
        if offer is not None and math.isfinite(weight) and weight > 0:
            # higher weight first; at equal weight an explicit type beats a wildcard, then the first listed
            ranked.append((weight, int("*" not in media), -position, offer))
    if not ranked:
        raise NgsiError(
            "NotAcceptable",
            406,
            "not acceptable",
            f"Accept {accept[:100]!r}: this endpoint offers {JSON} and {LD_JSON}",
        )
    return max(ranked)[3]


def link_header(context_url: str) -> str:
    return f'<{context_url}>; rel="{CONTEXT_REL}"; type="{LD_JSON}"'


@functools.cache
def context_document() -> dict[str, Any]:
    """The JSON-LD @context of our entities, self-contained (no fetch from the internet): the core terms
    our entities use, with their ETSI IRIs, and every entity type and attribute of `types.py`."""
    terms: dict[str, Any] = {
        "ngsi-ld": CORE,
        "geojson": "https://purl.org/geojson/vocab#",
        "id": "@id",
        "type": "@type",
        "value": "ngsi-ld:hasValue",
        "object": {"@id": "ngsi-ld:hasObject", "@type": "@id"},
        "Property": "ngsi-ld:Property",
        "GeoProperty": "ngsi-ld:GeoProperty",
        "Relationship": "ngsi-ld:Relationship",
        "DateTime": "ngsi-ld:DateTime",
        "observedAt": {"@id": "ngsi-ld:observedAt", "@type": "DateTime"},
        "createdAt": {"@id": "ngsi-ld:createdAt", "@type": "DateTime"},
        "modifiedAt": {"@id": "ngsi-ld:modifiedAt", "@type": "DateTime"},
        "unitCode": "ngsi-ld:unitCode",
        "location": "ngsi-ld:location",
        "Point": "geojson:Point",
        "Polygon": "geojson:Polygon",
        "coordinates": {"@container": "@list", "@id": "geojson:coordinates"},
        "name": f"{SDM}name",
        "areaServed": f"{SDM}areaServed",
        "controlledProperty": f"{SDM}dataModel.Device/controlledProperty",
        "deviceState": f"{SDM}dataModel.Device/deviceState",
        "dataProvider": f"{SDM}dataProvider",
        "dateLastValueReported": f"{SDM}dataModel.Device/dateLastValueReported",
        "batteryLevel": f"{SDM}dataModel.Device/batteryLevel",
    }
    for spec in TYPES:
        base = OWN_VOCAB if spec.data_model.startswith("custom") else f"{SDM}{spec.data_model}/"
        terms.setdefault(spec.sdm_type, base + spec.sdm_type)
        for prop in spec.props:
            terms.setdefault(prop.name, base + prop.name)
    return {"@context": terms}


# ---------------------------------------------------------------- rendering


def entity_id(device: Device) -> str:
    spec = TYPES_BY_CODE.get(device.device_type)
    return f"urn:ngsi-ld:{spec.sdm_type if spec else 'Device'}:{device.device_id}"


def device_id_of(entity: str) -> str:
    return entity.rsplit(":", 1)[-1] if entity.startswith("urn:ngsi-ld:") else entity


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def entity(device: Device, *, attrs: list[str] | None = None, context: Any = None) -> dict[str, Any]:
    """The entity in normalized form; `context` (a URL) adds `@context` for application/ld+json."""
    spec = TYPES_BY_CODE[device.device_type]
    observed = _iso(device.last_observed_at)
    body: dict[str, Any] = {
        "id": entity_id(device),
        "type": spec.sdm_type,
        # Entities are read by other systems as open data: a name or a text reading that carries a
        # contact's phone number (a caretaker's, typed in by whoever installed the device) goes out masked.
        "name": {"type": "Property", "value": mask_personal_text(device.name)},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [device.lon, device.lat]},
        },
        "areaServed": {"type": "Property", "value": device.area_code},
        "controlledProperty": {"type": "Property", "value": device.controlled_properties},
        "deviceState": {"type": "Property", "value": device.status},
        "dataProvider": {
            "type": "Property",
            "value": "qingcheng" + (" (synthetic)" if device.synthetic else ""),
        },
    }
    if observed:
        body["dateLastValueReported"] = {"type": "Property", "value": observed}
    if device.battery is not None:
        body["batteryLevel"] = {"type": "Property", "value": device.battery}
    for name, value in (device.last_values or {}).items():
        prop = spec.prop(name)
        attr: dict[str, Any] = {"type": "Property", "value": mask_personal_data(value)}
        if observed:
            attr["observedAt"] = observed
        if prop is not None and prop.unit_code:
            attr["unitCode"] = prop.unit_code
        body[name] = attr
    if attrs:
        keep = {"id", "type", *attrs}
        body = {k: v for k, v in body.items() if k in keep}
    if context is not None:
        body["@context"] = context
    return body


def temporal(device: Device, rows: list[dict[str, Any]], *, context: Any = None) -> dict[str, Any]:
    spec = TYPES_BY_CODE[device.device_type]
    body: dict[str, Any] = {"id": entity_id(device), "type": spec.sdm_type}
    for row in rows:
        for name, value in row["values"].items():
            body.setdefault(name, []).append(
                {
                    "type": "Property",
                    "value": mask_personal_data(value),
                    "observedAt": _iso(row["observed_at"]),
                }
            )
    if context is not None:
        body["@context"] = context
    return body


# ---------------------------------------------------------------- the query language (clause 4.9)

MAX_Q_LENGTH = 2000
MAX_Q_NESTING = 16
MAX_PATTERN_LENGTH = 200

Q_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr ("|" and_expr)*          -> any_of
?and_expr: atom (";" atom)*                  -> all_of
?atom: term
     | "(" or_expr ")"

term: path                                   -> exists
    | path COMPARE value                     -> compare
    | path EQUALITY choices                  -> equality
    | path PATTERN pattern                   -> pattern

path: NAME ("." NAME)* member*
member: "[" NAME "]"

choices: value ("," value)+                  -> value_list
       | comparable ".." comparable          -> value_range
       | value                               -> one_value

?value: comparable
      | "true"                               -> true
      | "false"                              -> false
      | URI                                  -> uri
?comparable: NUMBER                          -> number
           | STRING                          -> string
           | DATETIME                        -> datetime
           | DATE                            -> date
           | TIME                            -> time

pattern: STRING                              -> quoted_pattern
       | REGEX                               -> bare_pattern

EQUALITY: "==" | "!="
COMPARE: ">=" | ">" | "<=" | "<"
PATTERN: "~=" | "!~="
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/
DATETIME.2: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})/
DATE.2: /[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9T])/
TIME.2: /[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z/
URI: /[A-Za-z][A-Za-z0-9+.-]*:[^\s;|(),"'\[\]]+/
REGEX: /(\(\?i\))?[^;|()"'\s][^;|()\s]*/
%ignore " "
"""


@dataclass(frozen=True)
class Range:
    low: Any
    high: Any


@v_args(inline=True)
class _Build(Transformer):
    def member(self, name: Token) -> list[str]:
        return [str(name)]

    def path(self, *items: Token | list[str]) -> tuple[tuple[str, ...], int]:
        """(names, how many of the last names are bracketed members of a JSON value)."""
        names = [str(i) for i in items if isinstance(i, Token)]
        members = [i[0] for i in items if isinstance(i, list)]
        return (*names, *members), len(members)

    def number(self, token: Token) -> float | int:
        text = str(token)
        if len(text) > 40:
            raise QueryError(f"number {text[:20]}… is too long")
        value = float(text) if any(c in text for c in ".eE") else int(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise QueryError(f"number {text[:20]} is out of range")
        return value

    def string(self, token: Token) -> str:
        return _unquote(str(token))

    def datetime(self, token: Token) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(str(token).replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"invalid date-time {token}") from None
        return _in_window(value)

    def date(self, token: Token) -> dt.date:
        try:
            return _in_window(dt.date.fromisoformat(str(token)))
        except ValueError:
            raise QueryError(f"invalid date {token}") from None

    def time(self, token: Token) -> dt.time:
        try:
            return dt.time.fromisoformat(str(token).replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"invalid time {token}") from None

    def true(self) -> bool:
        return True

    def false(self) -> bool:
        return False

    def uri(self, token: Token) -> str:
        return str(token)

    def value_list(self, *values: Any) -> tuple[Any, ...]:
        return values

    def value_range(self, low: Any, high: Any) -> Range:
        if type(low) is not type(high) and not all(isinstance(v, int | float) for v in (low, high)):
            raise QueryError("both ends of a range must be of one kind")
        return Range(low, high)

    def one_value(self, value: Any) -> Any:
        return value

    def quoted_pattern(self, token: Token) -> re.Pattern[str]:
        return compile_pattern(_unquote(str(token)))

    def bare_pattern(self, token: Token) -> re.Pattern[str]:
        return compile_pattern(str(token))

    def exists(self, path: tuple) -> tuple:
        return ("exists", path)

    def compare(self, path: tuple, op: Token, value: Any) -> tuple:
        if isinstance(value, bool) or not isinstance(value, int | float | str | dt.date | dt.time):
            raise QueryError(f"{op} needs a number, string, date or time")
        return ("compare", path, str(op), value)

    def equality(self, path: tuple, op: Token, value: Any) -> tuple:
        return ("equal" if str(op) == "==" else "unequal", path, value)

    def pattern(self, path: tuple, op: Token, regex: re.Pattern[str]) -> tuple:
        return ("match" if str(op) == "~=" else "nomatch", path, regex)

    def all_of(self, *terms: Any) -> tuple:
        return ("and", terms)

    def any_of(self, *terms: Any) -> tuple:
        return ("or", terms)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _in_window(value: Any) -> Any:
    try:
        return date_in_range(value, "q", "查询时间", "a time in q")
    except ValidationFailed as exc:
        raise QueryError(exc.message_en) from None


def compile_pattern(text: str) -> re.Pattern[str]:
    if len(text) > MAX_PATTERN_LENGTH:
        raise QueryError(f"a pattern may be at most {MAX_PATTERN_LENGTH} characters")
    flags = 0
    if text.startswith("(?i)"):
        text, flags = text[4:], re.IGNORECASE
    try:
        return re.compile(text, flags)
    except re.error as exc:
        raise QueryError(f"invalid pattern: {exc}") from None


@functools.cache
def _parser() -> Lark:
    return Lark(Q_GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse_q(q: str) -> tuple | None:
    """The query tree of `q`, or None for an empty query; QueryError (400 BadRequestData) when it is not
    in the grammar of clause 4.9."""
    q = (q or "").strip()
    if not q:
        return None
    if len(q) > MAX_Q_LENGTH:
        raise QueryError(f"q may be at most {MAX_Q_LENGTH} characters")
    depth = 0
    for char in q:  # bounds the tree before it exists (evaluation recurses over it)
        depth += char == "("
        if depth > MAX_Q_NESTING:
            raise QueryError(f"q may nest parentheses at most {MAX_Q_NESTING} deep")
        depth -= char == ")"
    try:
        tree = _parser().parse(q)
        return _Build().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise QueryError(str(exc.orig_exc)[:200]) from None
    except LarkError as exc:
        raise QueryError(_short(exc)) from None


def _short(exc: LarkError) -> str:
    column = getattr(exc, "column", None)
    return f"syntax error at column {column}" if column is not None else str(exc).splitlines()[0][:200]


_MISSING = object()


def _is_attribute(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") in ("Property", "GeoProperty", "Relationship")


def _value(node: Any) -> Any:
    if _is_attribute(node):
        return node.get("object") if node.get("type") == "Relationship" else node.get("value")
    return node


def resolve(body: dict[str, Any], path: tuple[str, ...], members: int = 0) -> Any:
    """The value an attribute path names in a rendered entity: `a` → a's value (or object), `a.b` → the
    sub-attribute b of a (its value, or a member such as observedAt or unitCode), `a[b][c]` → inside the
    JSON value reached so far."""
    split = len(path) - members
    node: Any = body
    for name in path[:split]:
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
    value = _value(node)
    for name in path[split:]:
        if not isinstance(value, dict) or name not in value:
            return _MISSING
        value = value[name]
    return value


def _comparable(have: Any, want: Any) -> tuple[Any, Any] | None:
    """Both sides in one kind, or None (values of different kinds are unequal, clause 4.9)."""
    if isinstance(want, bool) or isinstance(have, bool):
        return (have, want) if isinstance(have, bool) and isinstance(want, bool) else None
    if isinstance(want, int | float):
        return (have, want) if isinstance(have, int | float) else None
    if isinstance(want, dt.datetime):
        moment = _as_datetime(have)
        if moment is None or (moment.tzinfo is None) != (want.tzinfo is None):
            return None
        return moment, want
    if isinstance(want, dt.date):
        moment = _as_datetime(have)
        if moment is not None:
            return moment.date(), want
        if not isinstance(have, str):
            return None
        try:
            return dt.date.fromisoformat(have), want
        except ValueError:
            return None
    if isinstance(want, dt.time):
        try:
            return (
                (dt.time.fromisoformat(have.replace("Z", "+00:00")), want) if isinstance(have, str) else None
            )
        except ValueError:
            return None
    if isinstance(want, str):
        return (have, want) if isinstance(have, str) else None
    return None


def _as_datetime(have: Any) -> dt.datetime | None:
    if not isinstance(have, str) or len(have) > 40 or "T" not in have:
        return None
    try:
        return dt.datetime.fromisoformat(have.replace("Z", "+00:00"))
    except ValueError:
        return None


_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _equals_one(have: Any, want: Any) -> bool:
    if isinstance(want, Range):
        low, high = _comparable(have, want.low), _comparable(have, want.high)
        return low is not None and high is not None and low[1] <= low[0] <= high[1]
    pair = _comparable(have, want)
    return pair is not None and pair[0] == pair[1]


def _equals(have: Any, want: Any) -> bool:
    wanted = want if isinstance(want, tuple) else (want,)
    # A list value matches when any of its members does (e.g. controlledProperty=="pH").
    candidates = have if isinstance(have, list) else [have]
    return any(_equals_one(h, w) for h in candidates for w in wanted)


def evaluate(node: tuple, body: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return all(evaluate(child, body) for child in node[1])
    if kind == "or":
        return any(evaluate(child, body) for child in node[1])
    path, members = node[1]
    have = resolve(body, path, members)
    if have is _MISSING or have is None:
        return False  # every term except existence needs the attribute, and the existence test fails
    if kind == "exists":
        return True
    if kind == "equal":
        return _equals(have, node[2])
    if kind == "unequal":
        return not _equals(have, node[2])
    if kind in ("match", "nomatch"):
        found = isinstance(have, str) and node[2].search(have[:1000]) is not None
        return found if kind == "match" else not found
    pair = _comparable(have, node[3])
    try:
        return pair is not None and _OPS[node[2]](*pair)
    except TypeError:
        return False


def matches(body: dict[str, Any], tree: tuple | None) -> bool:
    return tree is None or evaluate(tree, body)


# ---------------------------------------------------------------- geo-queries (clause 4.10)

GEORELS = ("near", "within", "contains", "intersects", "disjoint", "equals", "overlaps")
GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
MAX_COORDINATES_LENGTH = 20_000
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class GeoQuery:
    georel: str
    geometry: Any  # shapely geometry in lon/lat
    max_distance: float | None = None
    min_distance: float | None = None

    def bbox(self) -> tuple[float, float, float, float] | None:
        """Lon/lat bounds a matching entity must lie in (a database pre-filter), or None."""
        if self.georel in ("disjoint",) or (self.georel == "near" and self.max_distance is None):
            return None
        min_x, min_y, max_x, max_y = self.geometry.bounds
        pad_lat = (self.max_distance or 0.0) / 110_540.0
        cos = max(0.01, math.cos(math.radians(max(abs(min_y), abs(max_y)) + pad_lat)))
        pad_lon = (self.max_distance or 0.0) / (METRES_PER_DEGREE * cos)
        return (min_x - pad_lon, min_y - pad_lat, max_x + pad_lon, max_y + pad_lat)

    def matches(self, lon: float, lat: float) -> bool:
        from shapely.geometry import Point

        point = Point(lon, lat)
        if self.georel == "near":
            distance = _metres(self.geometry, point)
            if self.max_distance is not None and distance > self.max_distance:
                return False
            return not (self.min_distance is not None and distance < self.min_distance)
        if self.georel == "within":
            return self.geometry.covers(point)
        if self.georel == "intersects":
            return self.geometry.intersects(point)
        if self.georel == "disjoint":
            return self.geometry.disjoint(point)
        if self.georel in ("equals", "contains"):
            # a point contains, and equals, only the same point
            return self.geometry.equals(point)
        return False  # overlaps: a point overlaps nothing


def _metres(geometry: Any, point: Any) -> float:
    """Distance in metres on a local equirectangular projection around the point (city scale)."""
    from shapely import affinity

    cos = math.cos(math.radians(point.y))
    scale = {"xfact": METRES_PER_DEGREE * cos, "yfact": 110_540.0, "origin": (point.x, point.y)}
    return affinity.scale(geometry, **scale).distance(affinity.scale(point, **scale))


def parse_geoquery(
    georel: str | None, geometry: str | None, coordinates: str | None, geoproperty: str | None
):
    """A GeoQuery from the request parameters, None without `georel`; BadRequestData when incomplete."""
    if not georel and not geometry and not coordinates:
        return None
    if not (georel and geometry and coordinates):
        raise bad_request("incomplete geo-query", "georel, geometry and coordinates go together")
    if geoproperty not in (None, "", "location"):
        raise bad_request("invalid geoproperty", "entities have one GeoProperty: location")
    parts = georel.split(";")
    relation = parts[0].strip()
    if relation not in GEORELS:
        raise bad_request("invalid georel", f"georel must be one of {', '.join(GEORELS)}")
    distances: dict[str, float] = {}
    for part in parts[1:]:
        name, sep, raw = part.partition("==")
        name = name.strip()
        if not sep or name not in ("maxDistance", "minDistance") or name in distances:
            raise bad_request(
                "invalid georel", f"unexpected {part[:40]!r} (near;maxDistance==N or near;minDistance==N)"
            )
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number < 0 or number > 40_075_000:
            raise bad_request("invalid georel", f"{name} must be a distance in metres")
        distances[name] = number
    if relation == "near" and not distances:
        raise bad_request("invalid georel", "near needs maxDistance or minDistance")
    if relation != "near" and distances:
        raise bad_request("invalid georel", "distances belong to near")
    if geometry not in GEOMETRIES:
        raise bad_request("invalid geometry", f"geometry must be one of {', '.join(GEOMETRIES)}")
    shape = _shape(geometry, coordinates)
    if relation == "within" and shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise bad_request("invalid geometry", "within needs a Polygon or MultiPolygon")
    return GeoQuery(relation, shape, distances.get("maxDistance"), distances.get("minDistance"))


def _shape(geometry: str, coordinates: str) -> Any:
    from shapely.geometry import shape

    if len(coordinates) > MAX_COORDINATES_LENGTH:
        raise bad_request(
            "invalid coordinates", f"coordinates may be at most {MAX_COORDINATES_LENGTH} characters"
        )
    try:
        from qingcheng.sensing.ingest import PayloadError, decode

        points = decode(coordinates, max_bytes=MAX_COORDINATES_LENGTH, max_depth=4)
    except PayloadError as exc:
        raise bad_request("invalid coordinates", f"coordinates must be a JSON array: {exc}") from None
    if not isinstance(points, list):
        raise bad_request("invalid coordinates", "coordinates must be a JSON array")
    for x, y in _pairs(points):
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise bad_request("invalid coordinates", "longitude -180..180, latitude -90..90 (WGS-84)")
    try:
        result = shape({"type": geometry, "coordinates": points})
    except Exception as exc:  # shapely raises several kinds for malformed rings and arrays
        raise bad_request("invalid coordinates", f"not a {geometry}: {str(exc)[:100]}") from None
    if result.is_empty or not result.is_valid:
        raise bad_request("invalid coordinates", f"not a valid {geometry}")
    return result


def _pairs(node: Any) -> list[tuple[float, float]]:
    if (
        isinstance(node, list)
        and len(node) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node)
    ):
        return [(float(node[0]), float(node[1]))]
    if isinstance(node, list) and node:
        out: list[tuple[float, float]] = []
        for child in node:
            out.extend(_pairs(child))
        return out
    raise bad_request("invalid coordinates", "coordinates must be [lon, lat] positions")


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, default=str)
