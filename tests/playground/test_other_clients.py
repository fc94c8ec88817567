"""A second widely used Nominatim client besides geopy reads the playground's
answers: the ``geocoder`` package (its OpenStreetMap provider, pointed at
the playground with ``url=``), over HTTPS verified against the playground's
CA through ``REQUESTS_CA_BUNDLE``, as a reader's environment would have it.

Why ``geocoder`` and not osmnx (which issue 15 names): osmnx 2.1 pulls in
geopandas, pandas, numpy, shapely, pyproj, pyogrio and networkx, tens of
megabytes that every fresh ``make test`` would install for one test;
``geocoder`` needs five small pure-Python packages, and is downloaded more
often than osmnx. Its last release is from 2018, so this test is also the
alarm if it stops working on a Python the book supports."""

from __future__ import annotations

from collections.abc import Iterator

import geocoder  # type: ignore[import-untyped]
import pytest

from playground.services import Playground

#: Generous: a miss waits for the alternate names' index on a busy machine.
TIMEOUT = 30


@pytest.fixture
def osm(playground: Playground, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The search URL to give geocoder.osm(), trusting the playground's CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(playground.ca_file))
    yield f"{playground.https_url}/search"


def test_the_example_address(osm: str) -> None:
    g = geocoder.osm("207 N. Defiance St, Archbold, OH", url=osm, timeout=TIMEOUT)
    assert g.ok and g.status == "OK"
    assert g.latlng == [41.521954, -84.306691]
    assert g.address == (
        "207, North Defiance Street, Archbold, Fulton County, Ohio, 43502,"
        " United States"
    )
    assert (g.housenumber, g.street, g.postal) == (
        "207",
        "North Defiance Street",
        "43502",
    )


@pytest.mark.parametrize("query", ["Archbold, OH", "Archbold, Ohio"])
def test_the_village_of_the_example(osm: str, query: str) -> None:
    g = geocoder.osm(query, url=osm, timeout=TIMEOUT)
    assert g.ok and g.latlng == [41.52144, -84.30717]
    assert (g.county, g.state, g.country) == ("Fulton County", "Ohio", "United States")


def test_several_cities_with_a_limit(osm: str) -> None:
    g = geocoder.osm("Springfield", url=osm, maxRows=5, timeout=TIMEOUT)
    assert len(g) == 5
    assert all(result.address.startswith("Springfield, ") for result in g)
    assert g[0].state == "Missouri"  # the largest first


def test_nothing_found(osm: str) -> None:
    g = geocoder.osm("Nowhere Special 12345", url=osm, timeout=TIMEOUT)
    assert not g.ok and g.latlng is None
    assert g.status == "ERROR - No results found"
