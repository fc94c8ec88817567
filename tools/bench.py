"""The measurements behind ``make bench``: build times, page weight, load times.

    python -m tools.bench                  everything (takes a few minutes)
    python -m tools.bench --skip-test      without timing `make test`
    python -m tools.bench --lighthouse all Lighthouse on every page, not two

Writes ``build/bench/report.md`` and ``build/bench/report.json``, and prints
the Markdown. Measured in one run, on this machine:

Builds
    ``make test``; a cold ``make html`` (``build/html`` and ``build/doctrees``
    removed first; ``make -o build/.tested`` so that the time is the build's
    alone, tests excluded); the floor beside it, a bare ``sphinx-build`` of
    the same sources with myst-parser and nothing else (the theme's default,
    no extensions of ours, a throwaway conf.py); a rebuild with nothing
    changed; a rebuild after touching one chapter.

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

if TYPE_CHECKING:
    from playwright.sync_api import Request

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
HTML = ROOT / "build" / "html"
TOUCHED = ROOT / "book" / "chapter01.md"
LIGHTHOUSE = "lighthouse@12.8.2"
RUNS = 5
BUDGET = {
    "chapter_bytes_ratio": 1.6,
    "third_party_requests": 0,
    "lighthouse_performance": 98,
    "lighthouse_accessibility": 100,
    "lighthouse_seo": 100,
    "one_chapter_rebuild_s": 1.0,
}
KINDS = {
    "html": {".html"},
    "css": {".css"},
    "js": {".js", ".mjs"},
    "fonts": {".woff", ".woff2", ".ttf", ".otf", ".eot"},
    "images": {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".avif"},
}


def run(
    command: list[str], **options: Any
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``command`` in the repository; its wall time and result."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **options)
    return time.perf_counter() - start, done


def step(
    label: str, seconds: float, done: subprocess.CompletedProcess[str]
) -> dict[str, Any]:
    print(f"bench: {label}: {seconds:.2f} s (exit {done.returncode})", file=sys.stderr)
    result: dict[str, Any] = {"seconds": round(seconds, 3), "exit": done.returncode}
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


def measure_builds(skip_test: bool) -> dict[str, Any]:
    builds: dict[str, Any] = {}
    if skip_test:
        builds["make_test"] = None
    else:
        builds["make_test"] = step("make test", *run(["make", "test"]))
    for stale in (HTML, ROOT / "build" / "doctrees"):
        shutil.rmtree(stale, ignore_errors=True)
    make_html = ["make", "-o", "build/.tested", "html"]
    builds["cold_html"] = step("cold make html", *run(make_html))
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        floor_conf(Path(scratch))
        command = [
            sys.executable, "-m", "sphinx", "-c", scratch, "-q", "-b", "html",
            "-d", f"{scratch}/doctrees", str(ROOT / "book"), f"{scratch}/html",
        ]  # fmt: skip
        seconds, done = run(command)
        builds["floor_html"] = step("floor sphinx-build", seconds, done)
        builds["floor_html"]["warnings"] = done.stderr.count(
            "WARNING"
        ) + done.stderr.count("ERROR")
    builds["noop_html"] = step("rebuild, nothing changed", *run(make_html))
    os.utime(TOUCHED)
    builds["one_chapter_html"] = step(
        f"rebuild after touching {TOUCHED.name}", *run(make_html)
    )
    builds["one_chapter_html"]["touched"] = TOUCHED.relative_to(ROOT).as_posix()
    # The same rebuild again, timed inside one Python process: Sphinx's own
    # work apart from starting the interpreter and loading the extensions.
    os.utime(TOUCHED)
    seconds, done = run([sys.executable, "-c", INPROCESS])
    builds["one_chapter_sphinx"] = step("the same, Sphinx's own work", seconds, done)
    if done.returncode == 0:
        phases = json.loads(done.stdout.strip().splitlines()[-1])
        builds["one_chapter_sphinx"].update(phases)
        builds["one_chapter_sphinx"]["seconds"] = phases["build"]
    return builds


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
    sphinx = report["builds"]["one_chapter_sphinx"]["seconds"]
    whole = report["builds"]["one_chapter_html"]["seconds"]
    verdicts.append({
        "budget": f"one-chapter rebuild < {BUDGET['one_chapter_rebuild_s']} s "
        "(Sphinx's work; the whole `make html` command beside it)",
        "value": f"{sphinx:.2f} s (command: {whole:.2f} s)",
        "met": sphinx < BUDGET["one_chapter_rebuild_s"],
    })  # fmt: skip
    return verdicts


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
        row("`make test`", secs(b["make_test"])),
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
    report["builds"] = measure_builds(args.skip_test)
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
