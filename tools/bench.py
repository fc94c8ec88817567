"""The measurements behind ``make bench``: build times, page weight, load times.

    python -m tools.bench                  everything (takes a few minutes)
    python -m tools.bench --skip-test      without timing `make test`
    python -m tools.bench --test-runs 1    `make test` once, not the median of 3
    python -m tools.bench --lighthouse all Lighthouse on every page, not two

Writes ``build/bench/report.md`` and ``build/bench/report.json``, and prints
the Markdown. Measured in one run, on this machine:

Builds
    ``make test FRESH=1`` (the median of three runs, every check run; for
    each, the CPU time of its processes and of the whole machine meanwhile,
    and the load), and one ``make test`` after them, which may pass browser
    checks of unchanged pages on their kept verdicts; a cold
    ``make html`` (``build/html`` and ``build/doctrees``
    removed first; ``make -o build/.tested`` so that the time is the build's
    alone, tests excluded); the floor beside it, a bare ``sphinx-build`` of
    the same sources with myst-parser and nothing else (the theme's default,
    no extensions of ours, a throwaway conf.py); a rebuild with nothing
    changed; a rebuild after touching one chapter; where the time of a cold
    build and of that rebuild goes, by phase, extension and package.

Pages
    ``build/html`` served on 127.0.0.1 under ``/book/`` with gzip, as GitHub
    Pages serves it; each page opened in headless Chromium five times, each
    time in a fresh profile (cold cache): requests, bytes by type (as the
    browser decodes them, and as transferred), requests to any other host
    (refused and counted), and the median DOMContentLoaded and load times.

Lighthouse
    ``npx lighthouse`` (mobile, its default, and desktop) on some pages, with
    ``CHROME_PATH=/usr/bin/chromium``; if it cannot run, the report says why.

Budgets are reported as met or not; nothing here fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tools.chapters import in_book
from tools.pythons import summary

if TYPE_CHECKING:
    from playwright.sync_api import Request

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
HTML = ROOT / "build" / "html"
TOUCHED = ROOT / "book" / "chapter01.md"
LIGHTHOUSE = "lighthouse@12.8.2"
RUNS = 5
TEST_RUNS = 3
TEST_JOBS = os.environ.get("TEST_JOBS", "4")  # the Makefile's default
BUDGET = {
    "chapter_bytes_ratio": 1.6,
    "third_party_requests": 0,
    "lighthouse_performance": 98,
    "lighthouse_accessibility": 100,
    "lighthouse_seo": 100,
    "one_chapter_rebuild_s": 0.5,
    "html_over_floor": 1.5,
    "network_up_s": 5.0,
    "network_up_again_s": 3.0,
    "suite_s": 45.0,  # for the book with one chapter; and per chapter after it:
    "suite_s_per_chapter": 10.0,
}
KINDS = {
    "html": {".html"},
    "css": {".css"},
    "js": {".js", ".mjs"},
    "fonts": {".woff", ".woff2", ".ttf", ".otf", ".eot"},
    "images": {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".avif"},
}


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core, every
    process: ``/proc/stat``), or 0 where there is no ``/proc/stat``."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """User + system CPU seconds of the children waited for so far (and
    their waited descendants; not Chromium's, whose processes its driver
    kills without waiting)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(
    command: list[str], **options: Any
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``command`` in the repository; its wall time and result, which
    also carries ``cpu`` (the command's processes, see :func:`children_cpu`),
    ``machine_cpu`` (everything the machine ran meanwhile, the command among
    it: honest on a quiet machine) and ``load`` (1-minute load average after)."""
    cpu, machine = children_cpu(), machine_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **options)
    seconds = time.perf_counter() - start
    done.cpu = round(children_cpu() - cpu, 2)  # type: ignore[attr-defined]
    done.machine_cpu = round(machine_cpu() - machine, 2)  # type: ignore[attr-defined]
    done.load = round(os.getloadavg()[0], 1)  # type: ignore[attr-defined]
    return seconds, done


def step(
    label: str, seconds: float, done: subprocess.CompletedProcess[str]
) -> dict[str, Any]:
    print(f"bench: {label}: {seconds:.2f} s (exit {done.returncode})", file=sys.stderr)
    result: dict[str, Any] = {"seconds": round(seconds, 3), "exit": done.returncode}
    for key in ("cpu", "machine_cpu", "load"):
        if hasattr(done, key):
            result[key] = getattr(done, key)
    said = summary(done.stdout)
    if said:
        result["summary"] = said  # pytest's closing line
    if done.returncode != 0:
        result["tail"] = (done.stdout + done.stderr).strip().splitlines()[-5:]
    return result


def floor_conf(directory: Path) -> None:
    """A conf.py with myst-parser and the book's MyST settings, nothing else."""
    book = runpy.run_path(str(ROOT / "conf.py"))
    settings = {
        "project": book["project"],
        "root_doc": book["root_doc"],
        "source_suffix": book["source_suffix"],
        "exclude_patterns": book["exclude_patterns"],
        "extensions": ["myst_parser"],
    }
    settings.update({k: v for k, v in book.items() if k.startswith("myst_")})
    lines = [f"{key} = {value!r}" for key, value in settings.items()]
    (directory / "conf.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure_network() -> dict[str, Any]:
    """The network playground: `up` cold, `up` again (already up), `down`."""
    from playground.net.system import NetError, check_support

    try:
        check_support(("ip", "nft", "ethtool"))
    except NetError as exc:
        return {"skipped": str(exc)}
    with tempfile.TemporaryDirectory(prefix="bench-net-") as state:
        cli = [sys.executable, "-m", "playground.net", "--prefix", "pwbn-"]
        cli += ["--state", state]
        run([*cli, "down"])
        found = {}
        for label, action in (("up", "up"), ("up_again", "up"), ("down", "down")):
            found[label] = step(f"network playground {action}", *run([*cli, action]))
        return found


def _median_step(
    label: str, command: list[str], runs: int, before: Any
) -> dict[str, Any]:
    """*command* run *runs* times (``before()`` ahead of each): the median."""
    results = []
    for _ in range(runs):
        before()
        results.append(run(command))
    seconds = statistics.median(r[0] for r in results)
    entry = step(f"{label} (median of {runs})", seconds, results[-1][1])
    entry["runs"] = [round(r[0], 3) for r in results]
    return entry


def measure_suite(runs: int) -> dict[str, Any]:
    """``make test FRESH=1`` *runs* times (every check run, none taken from
    the verdicts kept by an earlier run): the median wall time, with every
    run's wall, CPU and load beside it; then one ``make test`` with nothing
    changed since, as an author's rerun goes (``warm``)."""
    cold = ["make", "test", "FRESH=1"]
    results = [step(f"make test FRESH=1 ({i + 1} of {runs})", *run(cold))
               for i in range(runs)]  # fmt: skip
    seconds, done = run(["make", "test"])
    warm = step("make test, nothing changed since", seconds, done)
    kept = re.search(r"^(\d+) browser checks .* kept", done.stdout, re.MULTILINE)
    warm["kept"] = int(kept[1]) if kept else 0
    middle = sorted(results, key=lambda r: r["seconds"])[(runs - 1) // 2]
    return {
        "warm": {k: warm.get(k) for k in ("seconds", "cpu", "exit", "summary", "kept")},
        **middle,
        "seconds": statistics.median(r["seconds"] for r in results),
        "exit": max(r["exit"] for r in results),
        "runs": [
            {k: r.get(k) for k in ("seconds", "cpu", "machine_cpu", "load", "exit")}
            for r in results
        ],
        "workers": TEST_JOBS,
    }


def measure_builds(skip_test: bool, test_runs: int, runs: int = 3) -> dict[str, Any]:
    builds: dict[str, Any] = {}
    if skip_test:
        builds["make_test"] = builds["chapter_test"] = None
    else:
        builds["make_test"] = measure_suite(test_runs)
        builds["chapter_test"] = step(
            "make test CHAPTER=1", *run(["make", "test", "CHAPTER=1"])
        )
    make_html = ["make", "SKIP_TESTS=1", "html"]

    def cold() -> None:
        for stale in (HTML, ROOT / "build" / "doctrees"):
            shutil.rmtree(stale, ignore_errors=True)

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        floor_conf(Path(scratch))
        floor_command = [
            sys.executable, "-m", "sphinx", "-c", scratch, "-q", "-b", "html",
            "-d", f"{scratch}/doctrees", str(ROOT / "book"), f"{scratch}/html",
        ]  # fmt: skip

        def cold_floor() -> None:
            shutil.rmtree(f"{scratch}/html", ignore_errors=True)
            shutil.rmtree(f"{scratch}/doctrees", ignore_errors=True)

        # Side by side: floor, book, floor, book, ... so both meet the same load.
        pairs = [
            (_median_step("floor sphinx-build", floor_command, 1, cold_floor),
             _median_step("cold make html", make_html, 1, cold))
            for _ in range(runs)
        ]  # fmt: skip
        done = run(floor_command)[1]
    for key, index in (("floor_html", 0), ("cold_html", 1)):
        times = [pair[index]["seconds"] for pair in pairs]
        builds[key] = {**pairs[-1][index], "seconds": statistics.median(times)}
        builds[key]["runs"] = times
    builds["floor_html"]["warnings"] = done.stderr.count("WARNING") + done.stderr.count(
        "ERROR"
    )
    builds["noop_html"] = step("rebuild, nothing changed", *run(make_html))
    # What an author's `make html` does after changing one chapter: that
    # chapter's tests and the book-wide ones (the Makefile's stamps), then the
    # build. The stamps must be fresh first (make test just ran, or this runs).
    if skip_test:  # the stamps are taken as fresh (the tests are not timed)
        (ROOT / "build").mkdir(exist_ok=True)
        for stamp in ["build/.tested", *(f"build/.tested-{c.slug}" for c in in_book())]:
            (ROOT / stamp).touch()
    else:
        run(["make", "html"])
    time.sleep(0.1)  # past the file system's clock tick: the chapter is newer
    os.utime(TOUCHED)
    seconds, done = run(["make", "html"])
    builds["one_chapter_make_html"] = step(
        f"make html after touching {TOUCHED.name} (its tests, then the build)",
        seconds,
        done,
    )
    builds["one_chapter_make_html"]["pytest"] = [
        line for line in done.stdout.splitlines() if " -m pytest " in line
    ]
    os.utime(TOUCHED)
    builds["one_chapter_html"] = step(
        f"rebuild after touching {TOUCHED.name}", *run(make_html)
    )
    builds["one_chapter_html"]["touched"] = TOUCHED.relative_to(ROOT).as_posix()
    # The same rebuild again, timed inside one Python process: Sphinx's own
    # work apart from starting the interpreter and loading the extensions.
    medians = []
    for _ in range(runs):
        os.utime(TOUCHED)
        seconds, done = run([sys.executable, "-c", INPROCESS])
        if done.returncode == 0:
            medians.append(json.loads(done.stdout.strip().splitlines()[-1]))
    builds["one_chapter_sphinx"] = step("the same, Sphinx's own work", seconds, done)
    if medians:
        for key in medians[0]:
            builds["one_chapter_sphinx"][key] = statistics.median(
                m[key] for m in medians
            )
        builds["one_chapter_sphinx"]["seconds"] = builds["one_chapter_sphinx"]["build"]
        builds["one_chapter_sphinx"]["runs"] = [m["build"] for m in medians]
    builds["profile"] = profile_build()
    builds["one_chapter_profile"] = profile_build(str(TOUCHED))
    return builds


def profile_build(touch: str = "cold") -> dict[str, Any]:
    """Where a build's time goes: by phase, by extension, by package. A cold
    build, or (*touch* a source) the rebuild after touching it."""
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        for mode in ("plain", "profile"):
            shutil.rmtree(f"{scratch}/html", ignore_errors=True)
            shutil.rmtree(f"{scratch}/doctrees", ignore_errors=True)
            command = [sys.executable, "-c", PROFILE, scratch, mode, touch]
            _seconds, done = run(command)
            if done.returncode != 0:
                return {"failed": (done.stdout + done.stderr).strip().splitlines()[-3:]}
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if mode == "plain":
                found.update(phases=result["phases"], extensions=result["extensions"])
            else:
                found["packages"] = result["packages"]
    return found


# A build in one process, timed by phase (Sphinx's events), by the
# extension whose event listeners and transforms did the work, and, under
# cProfile, by the package whose code ran (its own time, not its callees').
# argv: scratch folder, "plain" or "profile", "cold" or a source to touch (then
# a cold build comes first, untimed, and the timed one is the rebuild after it).
PROFILE = """
import collections, cProfile, json, os, pstats, sys, time
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils
out, profiled, touch = sys.argv[1], sys.argv[2] == "profile", sys.argv[3]
marks, by_ext = {}, collections.Counter()
def owner(obj):
    name = getattr(obj, "__module__", None) or type(obj).__module__
    parts = name.split(".")
    return ".".join(parts[:3]) if parts[0] == "sphinx" else parts[0]
def timed(handler):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return handler(*args, **kwargs)
        finally:
            by_ext[owner(handler)] += time.perf_counter() - start
    return run
def mark(name):
    def note(*args):
        marks.setdefault(name, time.perf_counter())
    return note
def sphinx(fresh):
    return Sphinx("book", ".", out + "/html", out + "/doctrees", "html",
                  status=None, warning=None, freshenv=fresh)
profile = cProfile.Profile()
with patch_docutils("."), docutils_namespace():
    if touch != "cold":
        sphinx(True).build()
        os.utime(touch)
with patch_docutils("."), docutils_namespace():
    start = time.perf_counter()
    app = sphinx(touch == "cold")
    marks["setup"] = time.perf_counter()
    for event, listeners in app.events.listeners.items():
        listeners[:] = [l._replace(handler=timed(l.handler)) for l in listeners]
    for event in ("env-before-read-docs", "env-updated", "write-started",
                  "build-finished"):
        app.connect(event, mark(event), priority=999)
    for registered in (app.registry.transforms, app.registry.post_transforms):
        for transform in registered:
            apply = transform.apply
            def wrapped(self, *a, _apply=apply, _t=transform, **k):
                begin = time.perf_counter()
                try:
                    return _apply(self, *a, **k)
                finally:
                    by_ext[owner(_t)] += time.perf_counter() - begin
            transform.apply = wrapped
    if profiled:
        profile.enable()
    app.build()
    profile.disable()
    end = time.perf_counter()
order = ["setup", "env-before-read-docs", "env-updated", "write-started",
         "build-finished"]
times = [start] + [marks.get(m, end) for m in order] + [end]
names = ["conf.py and extensions", "before reading", "reading (parse, transforms)",
         "resolving", "writing pages", "finishing (search index, extras)"]
result = {"phases": {n: round(b - a, 3) for n, a, b in zip(names, times, times[1:])},
          "extensions": {k: round(v, 3) for k, v in by_ext.most_common(15)}}
if profiled:
    packages = collections.Counter()
    stats = pstats.Stats(profile).stats
    for (file, _line, _fn), (_cc, _nc, own, _ct, _callers) in stats.items():
        if "site-packages/" in file:
            key = file.split("site-packages/")[1].split("/")[0]
        elif "/book/_ext/" in file:
            key = "book/_ext/" + file.rsplit("/", 1)[1]
        elif file.startswith(("~", "<")):
            key = "built-ins (C: I/O, regular expressions, ...)"
        else:
            key = "standard library" if "/lib/python3" in file else file
        packages[key] += own
    result["packages"] = {k: round(v, 3) for k, v in packages.most_common(12)}
print(json.dumps(result))
"""


INPROCESS = """
import json, time
start = time.perf_counter()
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils
with patch_docutils("."), docutils_namespace():
    imported = time.perf_counter()
    app = Sphinx("book", ".", "build/html", "build/doctrees", "html",
                 status=None, warning=None, freshenv=False)
    ready = time.perf_counter()
    app.build()
    done = time.perf_counter()
print(json.dumps({"import": round(imported - start, 3),
                  "setup": round(ready - imported, 3),
                  "build": round(done - ready, 3)}))
"""


def kind_of(url: str) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    if urlsplit(url).path.endswith("/"):
        suffix = ".html"
    return next(
        (kind for kind, suffixes in KINDS.items() if suffix in suffixes), "other"
    )


def measure_pages(site: Path, runs: int) -> dict[str, Any]:
    from playwright.sync_api import Route, sync_playwright

    from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, SiteServer, pages

    results: dict[str, Any] = {}
    with SiteServer(site, gzip=True) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        for name in pages(site):
            loads, first = [], None
            for _ in range(runs):
                context = browser.new_context()
                seen: list[dict[str, Any]] = []
                foreign: list[str] = []

                def local_only(route: Route, foreign: list[str] = foreign) -> None:
                    url = route.request.url
                    if url.startswith((server.origin + "/", "data:")):
                        route.continue_()
                    else:
                        foreign.append(url)
                        route.abort("blockedbyclient")

                context.route("**/*", local_only)
                page = context.new_page()

                def record(request: Request, seen: list[dict[str, Any]] = seen) -> None:
                    seen.append(_sizes(request))

                page.on("requestfinished", record)
                page.goto(server.url + name, wait_until="load")
                page.wait_for_load_state("networkidle")
                timing = page.evaluate(
                    """() => { const n = performance.getEntriesByType('navigation')[0];
                    return [n.domContentLoadedEventEnd, n.loadEventEnd]; }"""
                )
                loads.append(timing)
                if first is None:
                    first = (seen, foreign)
                context.close()
            assert first is not None
            seen, foreign = first
            by_kind = dict.fromkeys([*KINDS, "other"], 0)
            sent = 0
            for item in seen:
                by_kind[kind_of(item["url"])] += item["bytes"]
                sent += item["transferred"]
            results[name] = {
                "requests": len(seen),
                "bytes": by_kind,
                "total": sum(by_kind.values()),
                "transferred": sent,
                "html_transferred": next(
                    (i["transferred"] for i in seen if i["url"].endswith(name)), 0
                ),
                "third_party": len(foreign),
                "third_party_urls": foreign,
                "dom_content_loaded_ms": round(
                    statistics.median(t[0] for t in loads), 1
                ),
                "load_ms": round(statistics.median(t[1] for t in loads), 1),
                "runs": runs,
            }
            print(f"bench: {name}: {results[name]['total']} bytes", file=sys.stderr)
        browser.close()
    return results


def _sizes(request: Request) -> dict[str, Any]:
    response = request.response()
    body = response.body() if response is not None else b""
    sizes = request.sizes()
    return {
        "url": request.url,
        "bytes": len(body),
        "transferred": sizes["responseBodySize"] + sizes["responseHeadersSize"],
    }


def measure_lighthouse(site: Path, names: list[str]) -> dict[str, Any]:
    from tools.sitebuild import CHROMIUM, CHROMIUM_ARGS, SiteServer

    npx = shutil.which("npx")
    if npx is None:
        return {"skipped": "npx is not installed (Debian: nodejs, npm)"}
    flags = " ".join(a for a in CHROMIUM_ARGS if a != "--headless") + " --headless=new"
    env = dict(os.environ, CHROME_PATH=str(CHROMIUM))
    results: dict[str, Any] = {}
    with (
        SiteServer(site, gzip=True) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        for name in names:
            for preset in ("mobile", "desktop"):
                report = Path(scratch) / f"{preset}.json"
                command = [
                    npx, "--yes", LIGHTHOUSE, server.url + name, "--quiet",
                    "--output=json", f"--output-path={report}",
                    f"--chrome-flags={flags}",
                    "--only-categories=performance,accessibility,best-practices,seo",
                ]  # fmt: skip
                if preset == "desktop":
                    command.append("--preset=desktop")
                seconds, done = run(command, env=env, timeout=600)
                if done.returncode != 0 or not report.exists():
                    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
                    return {"skipped": f"npx {LIGHTHOUSE} failed: {' / '.join(tail)}"}
                data = json.loads(report.read_text())
                scores = {
                    key: round(value["score"] * 100)
                    if value["score"] is not None
                    else None
                    for key, value in data["categories"].items()
                }
                audits = data["audits"]
                results.setdefault(name, {})[preset] = {
                    "scores": scores,
                    "first_contentful_paint_ms": audits["first-contentful-paint"][
                        "numericValue"
                    ],
                    "largest_contentful_paint_ms": audits["largest-contentful-paint"][
                        "numericValue"
                    ],
                    "total_blocking_time_ms": audits["total-blocking-time"][
                        "numericValue"
                    ],
                    "cumulative_layout_shift": audits["cumulative-layout-shift"][
                        "numericValue"
                    ],
                    "benchmark_index": data["environment"].get("benchmarkIndex"),
                    "seconds": round(seconds, 1),
                }
                print(f"bench: lighthouse {preset} {name}: {scores}", file=sys.stderr)
    return results


def judge(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each budget with the measured value and whether it is met."""
    verdicts = []
    pages = report["pages"]
    for name, page in pages.items():
        if Path(name).stem.startswith("chapter"):
            ratio = page["total"] / page["bytes"]["html"]
            sent_html = page["html_transferred"] or 1
            limit = BUDGET["chapter_bytes_ratio"]
            verdicts.append({
                "budget": f"{name}: total bytes / its HTML <= {limit}",
                "value": (
                    f"{ratio:.2f} ({page['total']:,} / {page['bytes']['html']:,} B); "
                    f"as sent: {page['transferred'] / sent_html:.2f}"
                ),
                "met": ratio <= BUDGET["chapter_bytes_ratio"],
            })  # fmt: skip
    foreign = sum(p["third_party"] for p in pages.values())
    verdicts.append({
        "budget": "third-party requests, all pages: 0",
        "value": str(foreign),
        "met": foreign == BUDGET["third_party_requests"],
    })  # fmt: skip
    lighthouse = report["lighthouse"]
    if "skipped" in lighthouse:
        verdicts.append(
            {"budget": "Lighthouse", "value": lighthouse["skipped"], "met": None}
        )
    else:
        for name, presets in lighthouse.items():
            scores = presets["mobile"]["scores"]
            for key, least in (
                ("performance", 98),
                ("accessibility", 100),
                ("seo", 100),
            ):
                verdicts.append({
                    "budget": f"Lighthouse {key}, {name} (mobile) >= {least}",
                    "value": str(scores[key]),
                    "met": scores[key] is not None and scores[key] >= least,
                })  # fmt: skip
    verdicts += judge_gate(report["builds"])
    network = report.get("network", {})
    if "skipped" in network or not network:
        verdicts.append(
            {
                "budget": "network playground up",
                "value": network.get("skipped", "not measured"),
                "met": None,
            }
        )
    else:
        for key, label in (("up", "up, cold"), ("up_again", "up again, already up")):
            limit = BUDGET[f"network_{key}_s"]
            entry = network[key]
            verdicts.append({
                "budget": f"network playground {label} < {limit:g} s",
                "value": f"{entry['seconds']:.2f} s (exit {entry['exit']})",
                "met": entry["exit"] == 0 and entry["seconds"] < limit,
            })  # fmt: skip
    return verdicts


def ci_test_runs() -> list[str]:
    """The lines of .ci/run that run the suite (test-pythons aside)."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [
        line.strip()
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        and any(f"make {t}" in line for t in ("test ", "test\n", "check", "coverage"))
        and "test-pythons" not in line
        and not line.lstrip().startswith(("say", "echo"))
    ]


def judge_gate(b: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's four goals: suite, one chapter, CI once, the build."""
    from tools import chapters

    count = len(chapters.in_book())
    verdicts = []
    limit = BUDGET["suite_s"] + BUDGET["suite_s_per_chapter"] * (count - 1)
    test = b["make_test"]
    if test is None:
        value = "not measured (--skip-test)"
    else:
        runs = test.get("runs", [test])

        def each(key: str, form: str = "{:.0f}") -> str:
            return ", ".join(form.format(r.get(key) or 0) for r in runs)

        value = (
            f"median {test['seconds']:.1f} s of {len(runs)} ({each('seconds')} s; "
            f"CPU {each('cpu')} s of the suite's own processes, Chromium aside; "
            f"machine busy {each('machine_cpu')} CPU-s; load after "
            f"{each('load', '{}')}; {test.get('workers', '?')} workers): "
            f"{test.get('summary', 'no summary')}"
        )
        warm = test.get("warm")
        if warm:
            value += (
                f". Then `make test` with nothing changed: {warm['seconds']:.1f} s, "
                f"CPU {warm.get('cpu') or 0:.0f} s, {warm.get('kept', 0)} browser "
                "checks passed on kept verdicts"
            )
    verdicts.append({
        "budget": f"1. `make test` <= {limit:.0f} s wall ({count} chapters in book)",
        "value": value,
        "met": None if test is None else test["seconds"] <= limit and test["exit"] == 0,
    })  # fmt: skip
    chapter = b["chapter_test"]
    html = b["one_chapter_make_html"]
    whole = [c for c in html["pytest"] if "tests/chapter" not in c]
    verdicts.append({
        "budget": "2. one chapter's checks alone; `make html` after a one-chapter "
        "change runs only its tests and the book-wide ones",
        "value": (
            ("" if chapter is None else
             f"`make test CHAPTER=1`: {chapter['seconds']:.1f} s "
             f"({chapter.get('summary', '')}); ")
            + f"`make html` after touching {b['one_chapter_html']['touched']}: "
            f"{html['seconds']:.1f} s, {len(html['pytest'])} pytest run(s)"
            + (", the whole suite among them" if whole else ", not the whole suite")
        ),
        "met": not whole and html["exit"] == 0,
    })  # fmt: skip
    runs = ci_test_runs()
    verdicts.append({
        "budget": "3. CI runs the suite once (coverage, deprecations, verdict)",
        "value": "; ".join(f"`{r}`" for r in runs) or "no run of the suite found",
        "met": len(runs) == 1,
    })  # fmt: skip
    ratio = b["cold_html"]["seconds"] / b["floor_html"]["seconds"]
    verdicts.append({
        "budget": f"4a. cold `make html` <= {BUDGET['html_over_floor']} x the "
        "myst-only floor (medians, side by side)",
        "value": f"{ratio:.2f} ({b['cold_html']['seconds']:.2f} s / "
        f"{b['floor_html']['seconds']:.2f} s)",
        "met": ratio <= BUDGET["html_over_floor"],
    })  # fmt: skip
    sphinx = b["one_chapter_sphinx"]["seconds"]
    verdicts.append({
        "budget": f"4b. one-chapter rebuild <= {BUDGET['one_chapter_rebuild_s']} s "
        "of Sphinx's work (median; the whole command beside it)",
        "value": f"{sphinx:.2f} s (command: {b['one_chapter_html']['seconds']:.2f} s)",
        "met": sphinx <= BUDGET["one_chapter_rebuild_s"],
    })  # fmt: skip
    return verdicts


def profile_lines(profile: dict[str, Any], what: str = "a cold build") -> list[str]:
    """Where *what*'s time goes, as Markdown tables."""
    if "phases" not in profile:
        return [
            f"Profile of {what}: failed: " + " ".join(profile.get("failed", [])),
            "",
        ]
    lines = [
        f"### Where {what}'s time goes",
        "",
        row("phase", "s"),
        row("---", "--:"),
    ]
    lines += [row(k, f"{v:.2f}") for k, v in profile["phases"].items()]
    lines += [
        "",
        (
            "Event listeners and transforms, by the extension (or Sphinx module)"
            " they belong to:"
        ),
        "",
        row("extension", "s"),
        row("---", "--:"),
    ]
    lines += [row(f"`{k}`", f"{v:.2f}") for k, v in profile["extensions"].items()]
    lines += [
        "",
        "Under cProfile (slower), the code's own time by package:",
        "",
        row("package", "s"),
        row("---", "--:"),
    ]
    lines += [row(k, f"{v:.2f}") for k, v in profile["packages"].items()]
    return [*lines, ""]


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(report: dict[str, Any]) -> str:
    b = report["builds"]
    kb = 1000

    def secs(entry: dict[str, Any] | None) -> str:
        if entry is None:
            return "not measured (--skip-test)"
        failed = "" if entry["exit"] == 0 else f" (exit {entry['exit']})"
        return f"{entry['seconds']:.2f} s{failed}"

    inproc = b["one_chapter_sphinx"]
    floor = f"{secs(b['floor_html'])} ({b['floor_html']['warnings']} warnings)"
    lines = [
        "# make bench",
        "",
        (
            f"Measured {report['when']} on {report['machine']}; "
            f"load average {report['load_before']} before, "
            f"{report['load_after']} after."
        ),
        "",
        "## Builds",
        "",
        row("build", "time"),
        row("---", "---"),
        row("`make test FRESH=1` (every check run)", secs(b["make_test"])),
        row("`make test CHAPTER=1`", secs(b["chapter_test"])),
        row(f"`make html` after touching `{b['one_chapter_html']['touched']}`"
            " (its tests, then the build)", secs(b["one_chapter_make_html"])),
        row("cold `make html` (tests excluded)", secs(b["cold_html"])),
        row("floor: bare `sphinx-build`, myst-parser only", floor),
        row("rebuild, nothing changed", secs(b["noop_html"])),
        row(f"rebuild after touching `{b['one_chapter_html']['touched']}`",
            secs(b["one_chapter_html"])),
        row("the same rebuild, Sphinx's own work (`app.build()`)", secs(inproc)),
        "",
        (
            f"Before `app.build()`, that process spent {inproc.get('import', 0):.2f} s "
            f"importing Sphinx and {inproc.get('setup', 0):.2f} s reading conf.py and "
            "loading the extensions. The floor's warnings are the directives it does "
            "not know without the book's extensions."
        ),
        "",
        *profile_lines(b.get("profile", {})),
        *profile_lines(
            b.get("one_chapter_profile", {}),
            f"the rebuild after touching `{b['one_chapter_html']['touched']}`",
        ),
        "## Pages",
        "",
        (
            "Headless Chromium, cold cache, gzip as on GitHub Pages. Bytes as decoded "
            "(KB = 1000 B); *sent* is what crossed the wire, compressed. "
            f"Times: median of {report['runs']} loads."
        ),
        "",
        row("page", "requests", "HTML", "CSS", "JS", "fonts", "images", "other",
            "total", "sent", "third-party", "DOMContentLoaded", "load"),
        row("---", *["--:"] * 12),
    ]  # fmt: skip
    for name, p in report["pages"].items():
        by = p["bytes"]
        sizes = [f"{by[k] / kb:.1f}" for k in ("html", "css", "js", "fonts", "images")]
        lines.append(
            row(name, p["requests"], *sizes, f"{by['other'] / kb:.1f}",
                f"{p['total'] / kb:.1f}", f"{p['transferred'] / kb:.1f}",
                p["third_party"], f"{p['dom_content_loaded_ms']:.0f} ms",
                f"{p['load_ms']:.0f} ms")
        )  # fmt: skip
    lines += ["", "## Lighthouse", ""]
    lighthouse = report["lighthouse"]
    if "skipped" in lighthouse:
        lines.append(f"Not run: {lighthouse['skipped']}")
    else:
        lines += [
            (
                f"`npx {LIGHTHOUSE}`, simulated throttling "
                "(mobile: slow 4G, 4x slower CPU)."
            ),
            "",
            row("page", "form", "performance", "accessibility", "best practices",
                "SEO", "FCP", "LCP", "TBT", "CLS"),
            row("---", "---", *["--:"] * 8),
        ]  # fmt: skip
        for name, presets in lighthouse.items():
            for preset, r in presets.items():
                s = r["scores"]
                lines.append(
                    row(name, preset, s["performance"], s["accessibility"],
                        s["best-practices"], s["seo"],
                        f"{r['first_contentful_paint_ms']:.0f} ms",
                        f"{r['largest_contentful_paint_ms']:.0f} ms",
                        f"{r['total_blocking_time_ms']:.0f} ms",
                        f"{r['cumulative_layout_shift']:.3f}")
                )  # fmt: skip
    lines += [
        "",
        "## Budgets",
        "",
        row("budget", "measured", "met"),
        row("---", "---", "---"),
    ]
    for v in report["budgets"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[v["met"]]
        lines.append(row(v["budget"], v["value"], met))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--skip-test", action="store_true", help="do not time `make test`"
    )
    parser.add_argument(
        "--lighthouse",
        default="index.html,chapter01.html",
        help="pages for Lighthouse, comma-separated, 'all', or 'none'",
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="page loads per page")
    parser.add_argument(
        "--test-runs",
        type=int,
        default=TEST_RUNS,
        help=f"runs of `make test` to take the median of (default {TEST_RUNS})",
    )
    args = parser.parse_args(argv)
    if not Path("/usr/bin/chromium").exists():
        print(
            "bench: /usr/bin/chromium is missing: run `make system-deps`",
            file=sys.stderr,
        )
        return 1
    sys.path.insert(0, str(ROOT))
    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "load_before": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    report["builds"] = measure_builds(args.skip_test, args.test_runs)
    report["network"] = measure_network()
    if not (HTML / "index.html").exists():
        print(
            "bench: build/html was not built; see the cold build's output",
            file=sys.stderr,
        )
        return 1
    report["pages"] = measure_pages(HTML, args.runs)
    report["runs"] = args.runs
    from tools.sitebuild import pages

    names = {
        "none": [],
        "all": pages(HTML),
    }.get(args.lighthouse, [n for n in args.lighthouse.split(",") if n])
    report["lighthouse"] = (
        measure_lighthouse(HTML, names) if names else {"skipped": "--lighthouse none"}
    )
    report["load_after"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    report["budgets"] = judge(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    text = markdown(report)
    (OUT / "report.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
