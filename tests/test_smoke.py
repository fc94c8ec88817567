import json
import urllib.request


def test_playground_answers_the_example(playground):
    url = f"{playground.http_url}/search?q=207+N.+Defiance+St,+Archbold,+OH&format=json"
    with urllib.request.urlopen(url, timeout=5) as reply:
        places = json.load(reply)
    assert (places[0]["lat"], places[0]["lon"]) == ("41.521954", "-84.306691")
