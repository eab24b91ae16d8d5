"""The address gazetteer (地理编码): Chinese address text to WGS-84 points and back.

- `normalize_text` / `normalize_address` / `parse_address`: full-width → half-width (NFKC), spaces and
  punctuation removed, 號 → 号, Chinese numerals before 号 → digits, leading 中国 / 内蒙古(自治区) /
  呼和浩特(市) removed; district and street (街道/镇) names recognised as filters; road name and house
  number split off.
- `geocode(q)`: ranked candidates, best first: the exact normalised address, then road + exact house
  number, then the name of a point of interest, then road + a number interpolated between the nearest
  known numbers of the same parity, then the road alone, then fuzzy names. A district or street named in
  the query demotes candidates elsewhere.
- `reverse_geocode(lon, lat)`: the nearest door plate or point of interest within a radius, else the
  nearest road, else the street and district from `locate`.

Reads only. The gazetteer is reference data for the whole city, so, like `locate`, these reads are not
filtered by the actor's area scope. Door plates are always queried from the database (by road, by exact
normalised text, by a bounding box); only road names, POI names and area names are held in a small
process cache (`lexicon()`), rebuilt when those tables change.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils.translation import get_language
from rapidfuzz import fuzz, process
from shapely.geometry import LineString, Point

from qingcheng.core.errors import DomainError, ValidationFailed

from . import spatial
from .geometry import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon
from .models import AdminArea, Place, Road
from .selectors import Location, locate, validate_lonlat

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50
DEFAULT_RADIUS_M = 300.0
MAX_RADIUS_M = 2000.0
# Other processes see edited (not added) POIs and areas after this long at most; added rows and road
# changes are seen at once through the signature check.
CACHE_MAX_AGE_SECONDS = 300.0

# Scores by how a candidate matched. The order is the ranking the issue asks for; POI names sit with the
# exact matches because a name is what people type for a landmark.
SCORE_EXACT = 1.0
SCORE_POI_NAME = 0.98
SCORE_POI_ALIAS = 0.96
SCORE_HOUSE_NUMBER = 0.95
SCORE_POI_QUALIFIED = 0.9  # "内蒙古大学南门附近": the place is right, the point is only near it
SCORE_INTERPOLATED = 0.85
SCORE_NEAREST_NUMBER = 0.75  # the number lies beyond every known number of the road
SCORE_ROAD = 0.6
SCORE_POI_FUZZY = 0.55  # times the fuzzy similarity
SCORE_AREA = 0.5
DISTRICT_MISMATCH = 0.5
STREET_MISMATCH = 0.8
ROAD_ALIAS_FACTOR = 0.97
ROAD_BASE_FACTOR = 0.9  # 中山路 for 中山东路 and 中山西路
ROAD_FUZZY_CUTOFF = 75.0
POI_FUZZY_CUTOFF = 70.0

KIND_ORDER = {"doorplate": 0, "poi": 1, "road": 2, "area": 3}

# Used when the AdminArea table has not been loaded (tests, a fresh install): the Hohhot urban districts.
FALLBACK_DISTRICTS = {"新城区": "150102", "回民区": "150103", "玉泉区": "150104", "赛罕区": "150105"}
FALLBACK_CITY_NAMES = {"150100": "呼和浩特市"}
LEADING_NAMES = ("中华人民共和国", "中国", "内蒙古自治区", "内蒙古", "呼和浩特市", "呼和浩特", "呼市")
CITY_CODE = "150100"
CITY_NAMES = ("呼和浩特", "呼市")
QUALIFIERS = (
    "附近", "旁边", "对面", "周边", "周围", "一带", "门口", "路口", "交叉口", "正门", "南门", "北门", "东门",
    "西门", "后门", "大门", "东侧", "西侧", "南侧", "北侧",
)  # fmt: skip

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER_RE = re.compile(r"([零〇一二两三四五六七八九十百千]+)(?=号)")
_NUMBER_DASH_RE = re.compile(r"(?<=\d)\s*[-‐‑–—~]\s*(?=\d)")
_NON_WORD_RE = re.compile(r"[\W_]+")
_HOUSE_NUMBER_RE = re.compile(r"(\d{1,6})(?:之(\d{1,4}))?(?:号)?")
_ROAD_TOKEN_RE = re.compile(r"(.{2,15}?(?:大街|大道|路|街|巷|道|环))")
_ROAD_BASE_RE = re.compile(r"^(.+?)[东西南北](大街|路|街)$")


class NoAddressNearby(DomainError):
    status = 404

    def __init__(self, lon: float, lat: float, radius_m: float) -> None:
        super().__init__(
            "no_address_nearby",
            f"该位置 {round(radius_m)} 米内没有已知地址",
            f"No known address within {round(radius_m)} m of this location",
            details={"lon": lon, "lat": lat, "radius_m": radius_m},
        )


# ---------------------------------------------------------------------- normalisation


def _chinese_number(text: str) -> int:
    if all(c in _CN_DIGITS for c in text):  # 一二三 → 123
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, digit = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:  # 十 alone means 10, as in 十二号
            total += (digit or 1) * _CN_UNITS[c]
            digit = 0
    return total + digit


def normalize_text(text: str) -> str:
    """Full-width → half-width, 號 → 号, 八十八号 → 88号, 88-2号 → 88之2号, no spaces or punctuation."""
    s = unicodedata.normalize("NFKC", text or "").replace("號", "号")
    s = _CN_NUMBER_RE.sub(lambda m: str(_chinese_number(m.group(1))), s)
    s = _NUMBER_DASH_RE.sub("之", s)
    return _NON_WORD_RE.sub("", s).lower()


def _strip_leading(s: str, names: tuple[str, ...], *, keep_last: bool = True) -> str:
    """Remove leading names; with `keep_last` a name that is all there is stays (呼和浩特站 → 站 is
    avoided elsewhere: POI matching also tries the unstripped text)."""
    changed = True
    while changed:
        changed = False
        for name in names:
            if s.startswith(name) and (len(s) > len(name) or not keep_last):
                s = s[len(name) :]
                changed = True
                break
    return s


def normalize_address(text: str) -> str:
    """The form stored in Place.normalized: normalised text without the country, region and city."""
    return _strip_leading(normalize_text(text), LEADING_NAMES)


def _strip_qualifiers(s: str) -> tuple[str, str]:
    qualifier = ""
    changed = True
    while changed:
        changed = False
        for q in QUALIFIERS:
            if s.endswith(q) and len(s) > len(q):
                s, qualifier = s[: -len(q)], q + qualifier
                changed = True
    return s, qualifier


# ---------------------------------------------------------------------- the process cache


@dataclass(frozen=True)
class RoadEntry:
    id: int
    name: str
    area_code: str
    lon: float  # the middle of the centre line
    lat: float


@dataclass(frozen=True)
class PoiEntry:
    id: int
    name: str
    address_text: str
    area_code: str
    lon: float
    lat: float


@dataclass
class Lexicon:
    """Names the parser looks for: roads, POIs, districts and streets."""

    signature: tuple[Any, ...] = ()
    built_at: float = 0.0
    roads: dict[int, RoadEntry] = field(default_factory=dict)
    road_keys: dict[str, dict[int, float]] = field(default_factory=dict)  # key → {road id: factor}
    road_keys_longest_first: list[str] = field(default_factory=list)
    pois: dict[int, PoiEntry] = field(default_factory=dict)
    poi_keys: dict[str, dict[int, bool]] = field(default_factory=dict)  # key → {poi id: is alias}
    poi_choices: list[str] = field(default_factory=list)
    districts: dict[str, str] = field(default_factory=dict)  # name → code
    streets: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)  # code → name

    def district_name(self, code: str) -> str:
        return self.area_names.get(code[:6], "") if len(code) >= 6 else ""

    def city_name(self, code: str) -> str:
        city = code[:4] + "00" if len(code) >= 4 else ""
        return self.area_names.get(city) or FALLBACK_CITY_NAMES.get(city, "")


_lock = threading.Lock()
_lexicon: Lexicon | None = None


def _signature() -> tuple[Any, ...]:
    """Cheap enough for every call: the road table is small, and the newest place and area come from the
    primary-key index. Edited (not added) places and areas are caught by CACHE_MAX_AGE_SECONDS."""
    roads = Road.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    newest_place = Place.objects.aggregate(m=Max("id"))["m"]
    newest_area = AdminArea.objects.aggregate(m=Max("id"))["m"]
    return (roads["n"], roads["t"], newest_place, newest_area)


def _road_midpoint(geometry: str, fallback: tuple[float | None, float | None]) -> tuple[float, float]:
    try:
        line = LineString(json.loads(geometry)["coordinates"])
        mid = line.interpolate(0.5, normalized=True)
        return round(mid.x, 7), round(mid.y, 7)
    except (ValueError, KeyError, TypeError):
        return float(fallback[0] or 0.0), float(fallback[1] or 0.0)


def _build_lexicon(signature: tuple[Any, ...]) -> Lexicon:
    lex = Lexicon(signature=signature, built_at=time.monotonic())
    lex.area_names = dict(FALLBACK_CITY_NAMES) | {v: k for k, v in FALLBACK_DISTRICTS.items()}
    lex.districts = dict(FALLBACK_DISTRICTS)
    for code, name, level in AdminArea.objects.filter(
        level__in=[AdminArea.Level.CITY, AdminArea.Level.DISTRICT, AdminArea.Level.STREET]
    ).values_list("code", "name", "level"):
        lex.area_names[code] = name
        if level == AdminArea.Level.DISTRICT:
            lex.districts[normalize_text(name)] = code
        elif level == AdminArea.Level.STREET:
            lex.streets[normalize_text(name)] = code

    def add_road_key(key: str, road_id: int, factor: float) -> None:
        if len(key) >= 2:
            ids = lex.road_keys.setdefault(key, {})
            ids[road_id] = max(ids.get(road_id, 0.0), factor)

    rows = Road.objects.values_list(
        "id", "name", "aliases", "area_code", "geometry", "centroid_lon", "centroid_lat"
    )
    for road_id, name, aliases, area_code, geometry, c_lon, c_lat in rows:
        lon, lat = _road_midpoint(geometry, (c_lon, c_lat))
        lex.roads[road_id] = RoadEntry(road_id, name, area_code, lon, lat)
        key = normalize_text(name)
        add_road_key(key, road_id, 1.0)
        for alias in aliases or []:
            add_road_key(normalize_text(alias), road_id, ROAD_ALIAS_FACTOR)
        base = _ROAD_BASE_RE.match(key)
        if base:
            add_road_key(base.group(1) + base.group(2), road_id, ROAD_BASE_FACTOR)
    lex.road_keys_longest_first = sorted(lex.road_keys, key=lambda k: (-len(k), k))

    pois = Place.objects.filter(kind=Place.Kind.POI).values_list(
        "id", "name", "aliases", "address_text", "area_code", "lon", "lat"
    )
    for poi_id, name, aliases, address_text, area_code, lon, lat in pois:
        lex.pois[poi_id] = PoiEntry(poi_id, name, address_text, area_code, lon, lat)
        for key, is_alias in [(name, False), *[(a, True) for a in aliases or []]]:
            norm = normalize_text(key)
            if norm:
                ids = lex.poi_keys.setdefault(norm, {})
                ids[poi_id] = ids.get(poi_id, True) and is_alias
    lex.poi_choices = sorted(lex.poi_keys)
    return lex


def lexicon() -> Lexicon:
    """The cached names, rebuilt when roads, places or areas were added or changed."""
    global _lexicon
    signature = _signature()
    with _lock:
        stale = _lexicon is None or _lexicon.signature != signature
        if stale or time.monotonic() - _lexicon.built_at > CACHE_MAX_AGE_SECONDS:
            _lexicon = _build_lexicon(signature)
        return _lexicon


def clear_cache() -> None:
    """Forget the cached names; writers of roads, POIs or areas call this."""
    global _lexicon
    with _lock:
        _lexicon = None


# ---------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ParsedAddress:
    text: str
    normalized: str  # without country, region and city: compare with Place.normalized
    district_code: str | None
    street_code: str | None
    core: str  # what is left after the district and the street
    roads: dict[int, float]  # road id → how well the road name matched (1 = exactly)
    road_fuzzy: bool
    house_number: int | None
    sub_number: int | None  # 88之2号 → 2
    place_texts: tuple[tuple[str, bool], ...]  # (text to match POI names, qualifier stripped?)
    city_code: str | None = None  # set when the text names nothing but the city


def parse_address(text: str, lex: Lexicon | None = None) -> ParsedAddress:
    """Split Chinese address text into district, street, road, house number and place-name parts."""
    lex = lex or lexicon()
    full = normalize_text(text)
    s = _strip_leading(full, LEADING_NAMES)
    normalized = s
    variants = [full, s]
    district_code = street_code = None
    if full and not _strip_leading(full, LEADING_NAMES, keep_last=False):
        # Only 内蒙古/呼和浩特市 and the like: the city itself, if the text names it.
        city = CITY_CODE if any(n in full for n in CITY_NAMES) else None
        return ParsedAddress(text, full, None, None, "", {}, False, None, None, (), city)
    for name in sorted(lex.districts, key=len, reverse=True):
        if s.startswith(name) and len(s) >= len(name):
            district_code, s = lex.districts[name], s[len(name) :]
            variants.append(s)
            break
    for name in sorted(lex.streets, key=len, reverse=True):
        if s.startswith(name):
            street_code, s = lex.streets[name], s[len(name) :]
            variants.append(s)
            break
    core = s

    roads: dict[int, float] = {}
    road_fuzzy = False
    rest = ""
    for key in lex.road_keys_longest_first:
        at = core.find(key)
        if at >= 0:
            roads = dict(lex.road_keys[key])
            rest = core[at + len(key) :]
            break
    if not roads and lex.road_keys:
        token = _ROAD_TOKEN_RE.match(core)
        if token:
            best = process.extractOne(
                token.group(1), lex.road_keys_longest_first, scorer=fuzz.ratio, score_cutoff=ROAD_FUZZY_CUTOFF
            )
            if best is not None:
                key, similarity, _ = best
                roads = {rid: f * similarity / 100.0 for rid, f in lex.road_keys[key].items()}
                road_fuzzy = True
                rest = core[token.end() :]
    house_number = sub_number = None
    number = _HOUSE_NUMBER_RE.match(rest) if roads else None
    if number:
        house_number = int(number.group(1))
        sub_number = int(number.group(2)) if number.group(2) else None

    place_texts: list[tuple[str, bool]] = []
    for variant in dict.fromkeys(variants):
        stripped, qualifier = _strip_qualifiers(variant)
        for candidate, qualified in ((variant, False), (stripped, bool(qualifier))):
            if len(candidate) >= 2 and (candidate, qualified) not in place_texts:
                place_texts.append((candidate, qualified))
    return ParsedAddress(
        text=text,
        normalized=normalized,
        district_code=district_code,
        street_code=street_code,
        core=core,
        roads=roads,
        road_fuzzy=road_fuzzy,
        house_number=house_number,
        sub_number=sub_number,
        place_texts=tuple(place_texts),
    )


# ---------------------------------------------------------------------- forward geocoding


@dataclass
class Candidate:
    address_text: str
    name: str  # the door plate (昭乌达路88号), POI, road or area name
    lon: float
    lat: float
    score: float
    kind: str  # doorplate | poi | road | area
    area_code: str
    # exact | house_number | poi_name | poi_alias | interpolated | nearest_number | road | poi_fuzzy | area
    matched_on: str
    place_id: int | None = None
    road_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            -self.score,
            KIND_ORDER.get(self.kind, 9),
            self.address_text,
            self.place_id or 0,
            self.road_id or 0,
        )


class _Collector:
    def __init__(self) -> None:
        self.found: dict[tuple[Any, ...], Candidate] = {}

    def add(self, candidate: Candidate) -> None:
        key = (candidate.kind, candidate.place_id, candidate.road_id, candidate.address_text)
        current = self.found.get(key)
        if current is None or candidate.score > current.score:
            self.found[key] = candidate


def _validate_query(q: str | None, limit: int) -> str:
    text = (q or "").strip()
    if not text:
        raise ValidationFailed(
            "请输入要查找的地址", "Enter an address to look up", field="q", code="empty_query"
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            f"地址过长（最多 {MAX_QUERY_LENGTH} 个字符）",
            f"The address is too long (at most {MAX_QUERY_LENGTH} characters)",
            field="q",
            code="query_too_long",
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit 应在 1 到 {MAX_LIMIT} 之间",
            f"limit must be 1 to {MAX_LIMIT}",
            field="limit",
            code="invalid_limit",
        )
    return text


def _digits(house_number: str) -> int | None:
    match = re.match(r"\d+", house_number or "")
    return int(match.group()) if match else None


def _road_candidates(parsed: ParsedAddress, lex: Lexicon, out: _Collector) -> None:
    for road_id, factor in sorted(parsed.roads.items()):
        road = lex.roads.get(road_id)
        if road is None:
            continue
        city_district = lex.city_name(road.area_code) + lex.district_name(road.area_code)
        out.add(
            Candidate(
                address_text=f"{city_district}{road.name}",
                name=road.name,
                lon=road.lon,
                lat=road.lat,
                score=SCORE_ROAD * factor,
                kind="road",
                area_code=road.area_code,
                matched_on="road",
                road_id=road_id,
            )
        )
        n = parsed.house_number
        if n is None:
            continue
        rows = list(
            Place.objects.filter(road_id=road_id)
            .exclude(house_number="")
            .values_list("id", "kind", "house_number", "address_text", "lon", "lat", "area_code", "name")
        )
        numbered = [(num, row) for row in rows if (num := _digits(row[2])) is not None]
        exact = [row for num, row in numbered if num == n]
        for place_id, kind, _hn, address, lon, lat, area, name in exact:
            score = SCORE_HOUSE_NUMBER * factor
            out.add(Candidate(address, name, lon, lat, score, kind, area, "house_number", place_id, road_id))
        if exact:
            continue
        plates = [(num, row) for num, row in numbered if row[1] == Place.Kind.DOORPLATE]
        same_parity = [(num, row) for num, row in plates if num % 2 == n % 2]
        pool, parity_factor = (same_parity, 1.0) if same_parity else (plates, 0.9)
        if not pool:
            continue
        lower = max((p for p in pool if p[0] < n), default=None, key=lambda p: p[0])
        upper = min((p for p in pool if p[0] > n), default=None, key=lambda p: p[0])
        if lower and upper:
            t = (n - lower[0]) / (upper[0] - lower[0])
            # Between the two nearest known numbers: plates stand along the road, so a straight line
            # between two neighbours 40–80 m apart stays on the road's side.
            lon = lower[1][4] + t * (upper[1][4] - lower[1][4])
            lat = lower[1][5] + t * (upper[1][5] - lower[1][5])
            area = (lower if t <= 0.5 else upper)[1][6]
            score, matched_on = SCORE_INTERPOLATED, "interpolated"
        else:
            nearest = lower or upper
            lon, lat, area = nearest[1][4], nearest[1][5], nearest[1][6]
            score, matched_on = SCORE_NEAREST_NUMBER, "nearest_number"
        out.add(
            Candidate(
                address_text=f"{lex.city_name(area)}{lex.district_name(area)}{road.name}{n}号",
                name=f"{road.name}{n}号",
                lon=round(lon, 7),
                lat=round(lat, 7),
                score=score * factor * parity_factor,
                kind="doorplate",
                area_code=area,
                matched_on=matched_on,
                road_id=road_id,
            )
        )


def _poi_candidates(parsed: ParsedAddress, lex: Lexicon, out: _Collector) -> None:
    def add(poi_id: int, score: float, matched_on: str) -> None:
        poi = lex.pois[poi_id]
        out.add(
            Candidate(
                poi.address_text, poi.name, poi.lon, poi.lat, score, "poi", poi.area_code, matched_on, poi_id
            )
        )

    exact_keys: set[str] = set()
    for text, qualified in parsed.place_texts:
        for poi_id, is_alias in lex.poi_keys.get(text, {}).items():
            exact_keys.add(text)
            if qualified:
                add(poi_id, SCORE_POI_QUALIFIED, "poi_alias" if is_alias else "poi_name")
            else:
                add(
                    poi_id,
                    SCORE_POI_ALIAS if is_alias else SCORE_POI_NAME,
                    "poi_alias" if is_alias else "poi_name",
                )
    if not lex.poi_choices:
        return
    # Fuzzy only on the most specific texts (city, district and qualifiers stripped): the leading words are
    # shared by many names and would make unrelated places look alike.
    texts = {t for t, _ in parsed.place_texts[-2:]} - exact_keys
    for text in sorted(texts):
        for key, similarity, _ in process.extract(
            text, lex.poi_choices, scorer=fuzz.WRatio, score_cutoff=POI_FUZZY_CUTOFF, limit=5
        ):
            for poi_id in lex.poi_keys[key]:
                add(poi_id, SCORE_POI_FUZZY * similarity / 100.0, "poi_fuzzy")


def _area_candidate(parsed: ParsedAddress, lex: Lexicon, out: _Collector) -> None:
    code = parsed.street_code or parsed.district_code or parsed.city_code or ""
    area = AdminArea.objects.filter(code=code).values_list("name", "centroid_lon", "centroid_lat").first()
    if area is None or area[1] is None:
        return
    prefix = lex.city_name(code) if len(code) >= 6 and code != CITY_CODE else ""
    text = prefix + (lex.district_name(code) if len(code) > 6 else "") + area[0]
    out.add(Candidate(text, area[0], area[1], area[2], SCORE_AREA, "area", code, "area"))


def geocode(q: str | None, *, limit: int = 10) -> list[Candidate]:
    """Ranked candidates (best first, scores in [0, 1]) for Chinese address text.

    Blank text is a 400 (`empty_query`); text that matches nothing gives an empty list."""
    text = _validate_query(q, limit)
    lex = lexicon()
    parsed = parse_address(text, lex)
    out = _Collector()
    if parsed.normalized:
        rows = Place.objects.filter(normalized=parsed.normalized).values_list(
            "id", "kind", "address_text", "name", "lon", "lat", "area_code", "road_id"
        )[:MAX_LIMIT]
        for place_id, kind, address, name, lon, lat, area, road_id in rows:
            out.add(Candidate(address, name, lon, lat, SCORE_EXACT, kind, area, "exact", place_id, road_id))
    if parsed.roads:
        _road_candidates(parsed, lex, out)
    if parsed.core:
        _poi_candidates(parsed, lex, out)
    elif parsed.street_code or parsed.district_code or parsed.city_code:
        _area_candidate(parsed, lex, out)

    results = list(out.found.values())
    for c in results:
        if parsed.district_code and not c.area_code.startswith(parsed.district_code):
            c.score *= DISTRICT_MISMATCH
        if parsed.street_code and len(c.area_code) >= 9 and not c.area_code.startswith(parsed.street_code):
            c.score *= STREET_MISMATCH
        c.score = round(min(1.0, max(0.0, c.score)), 4)
    results.sort(key=Candidate.sort_key)
    return results[:limit]


# ---------------------------------------------------------------------- reverse geocoding


@dataclass(frozen=True)
class ReverseGeocode:
    text_zh: str
    text_en: str
    kind: str  # doorplate | poi | road | area
    address_text: str
    distance_m: float | None
    lon: float | None  # the matched place, or the nearest point of the road
    lat: float | None
    area_code: str
    place_id: int | None
    road_id: int | None
    location: Location | None

    @property
    def text(self) -> str:
        language = (get_language() or "zh-hans").lower()
        return self.text_en if language.startswith("en") else self.text_zh


def _nearest_place(lon: float, lat: float, radius_m: float) -> tuple[float, tuple[Any, ...]] | None:
    d_lat = radius_m / METRES_PER_DEGREE_LAT
    d_lon = radius_m / metres_per_degree_lon(lat)
    rows = Place.objects.filter(
        lon__gte=lon - d_lon, lon__lte=lon + d_lon, lat__gte=lat - d_lat, lat__lte=lat + d_lat
    ).values_list("id", "kind", "name", "address_text", "lon", "lat", "area_code", "road_id")
    best: tuple[float, tuple[Any, ...]] | None = None
    for row in rows.iterator(chunk_size=500):
        d = distance_m(lon, lat, row[4], row[5])
        if d <= radius_m and (best is None or (d, row[0]) < (best[0], best[1][0])):
            best = (d, row)
    return best


def _nearest_road(
    lon: float, lat: float, radius_m: float
) -> tuple[float, int, str, str, float, float] | None:
    d_lat = radius_m / METRES_PER_DEGREE_LAT
    mx = metres_per_degree_lon(lat)
    d_lon = radius_m / mx
    rows = Road.objects.filter(
        max_lon__gte=lon - d_lon, min_lon__lte=lon + d_lon, max_lat__gte=lat - d_lat, min_lat__lte=lat + d_lat
    ).values_list("id", "name", "area_code", "geometry")
    best = None
    origin = Point(0.0, 0.0)
    for road_id, name, area_code, geometry in rows:
        try:
            coords = json.loads(geometry)["coordinates"]
            line = LineString([((x - lon) * mx, (y - lat) * METRES_PER_DEGREE_LAT) for x, y in coords])
        except (ValueError, KeyError, TypeError):
            continue
        d = line.distance(origin)
        if d <= radius_m and (best is None or (d, road_id) < (best[0], best[1])):
            near = line.interpolate(line.project(origin))
            best = (d, road_id, name, area_code, lon + near.x / mx, lat + near.y / METRES_PER_DEGREE_LAT)
    return best


def _located(lon: float, lat: float) -> Location | None:
    """`locate`, or None for a point outside the grids (or with no grids loaded).

    A point outside coverage is tested first, because `locate` then measures the distance to the
    nearest grid over the whole city for its error; that is only worth doing when no address is near."""
    index = spatial.get_index()
    if not len(index):
        return None
    if index.lookup(lon, lat) == spatial.EMPTY and index.nearest(lon, lat, settings.GEO_SNAP_METRES) is None:
        return None
    return locate(lon, lat)


def reverse_geocode(lon: float, lat: float, *, radius_m: float = DEFAULT_RADIUS_M) -> ReverseGeocode:
    """The nearest address text for a WGS-84 point: a door plate or POI within `radius_m`, else the nearest
    road, else the street and district of the point's grid. A point with none of these raises the
    OutsideCoverage error of `locate` (or NoAddressNearby when no grids are loaded)."""
    validate_lonlat(lon, lat)
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValidationFailed(
            f"搜索半径应在 0 到 {MAX_RADIUS_M:.0f} 米之间",
            f"radius must be above 0 and at most {MAX_RADIUS_M:.0f} m",
            field="radius",
            code="invalid_radius",
        )
    lex = lexicon()
    location = _located(lon, lat)
    place = _nearest_place(lon, lat, radius_m)
    if place is not None:
        d, (place_id, kind, name, address, p_lon, p_lat, area, road_id) = place
        if kind == Place.Kind.DOORPLATE:
            label = address
        else:  # a POI's address may not contain its name (大召寺: 玉泉区大召前街)
            label = f"{lex.city_name(area)}{lex.district_name(area)}{name}"
        return ReverseGeocode(
            text_zh=f"{label}附近 (约{round(d)}米)",
            text_en=f"near {label} (about {round(d)} m)",
            kind=kind,
            address_text=address,
            distance_m=round(d, 1),
            lon=p_lon,
            lat=p_lat,
            area_code=area,
            place_id=place_id,
            road_id=road_id,
            location=location,
        )
    road = _nearest_road(lon, lat, radius_m)
    if road is not None:
        d, road_id, name, road_area, r_lon, r_lat = road
        # A road may cross districts; the grid under the point says which side of the line we are on.
        area = location.district_code if location else road_area
        label = f"{lex.city_name(area)}{lex.district_name(area)}{name}"
        return ReverseGeocode(
            text_zh=f"{label}附近 (约{round(d)}米)",
            text_en=f"near {label} (about {round(d)} m)",
            kind="road",
            address_text=label,
            distance_m=round(d, 1),
            lon=round(r_lon, 7),
            lat=round(r_lat, 7),
            area_code=area,
            place_id=None,
            road_id=road_id,
            location=location,
        )
    if location is not None:
        label = f"{lex.city_name(location.district_code)}{location.district_name}{location.street_name}"
        return ReverseGeocode(
            text_zh=label,
            text_en=f"in {label} (no address within {round(radius_m)} m)",
            kind="area",
            address_text=label,
            distance_m=None,
            lon=None,
            lat=None,
            area_code=location.community_code,
            place_id=None,
            road_id=None,
            location=location,
        )
    if len(spatial.get_index()):
        locate(lon, lat)  # raises OutsideCoverage, with the distance to the nearest grid
    raise NoAddressNearby(lon, lat, radius_m)
