"""A general web application on www: httpbin, under Gunicorn.

httpbin answers HTTP requests with what it received (``/get``,
``/headers``, ``/status/418``, ``/redirect/3``, ``/basic-auth/U/P``,
``/cookies``, ``/delay/2`` ...), which is what the book's HTTP chapters
need to show a request from both ends. It has an address of its own on
``www``, ``httpbin.example.com`` (203.0.113.81), so it listens on the usual
ports 80 and 443 beside the geocoder (which keeps 203.0.113.80): Gunicorn
serves one scheme per process, so HTTP and HTTPS are two services.

Both come from Debian (``python3-httpbin``, ``gunicorn``) and run on the
system's Python, like the other daemons of the machine room: PyPI's httpbin
0.10 cannot share the project's environment on Python 3.11 (it asks for a
greenlet older than the one Playwright needs).
"""

from __future__ import annotations

from collections.abc import Callable

from playground.services import machine
from playground.services.spec import Context, Port, Service

GUNICORN = "/usr/bin/gunicorn"
HOST = "www"
ADDRESS = "203.0.113.81"
NAME = "httpbin.example.com"


def command_for(tls: bool) -> Callable[[Context], list[str]]:
    def command(ctx: Context) -> list[str]:
        run_dir = ctx.work.parent
        machine.prepare(run_dir, HOST, machine.reader_uid())
        port = 443 if tls else 80
        argv = [GUNICORN, "--bind", f"{ADDRESS}:{port}", "--preload"]
        argv += ["--workers", "1", "--threads", "4", "--chdir", "/"]
        argv += [
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--graceful-timeout",
            "1",
        ]
        if tls:
            argv += [
                "--certfile",
                str(ctx.certificate),
                "--keyfile",
                str(ctx.certificate),
            ]
        return machine.enter(run_dir, HOST, [*argv, "httpbin:app"])

    return command


SERVICES = (
    Service(
        name="httpbin",
        summary="httpbin over HTTP (Gunicorn)",
        host=HOST,
        ports=(Port("http", "tcp", 80),),
        command=command_for(tls=False),
        ready=r"Listening at: http://",
        bind=ADDRESS,
        loopback=False,
    ),
    Service(
        name="httpbin-tls",
        summary="httpbin over HTTPS (Gunicorn)",
        host=HOST,
        ports=(Port("https", "tcp", 443, tls=True),),
        certificate=(NAME,),
        command=command_for(tls=True),
        ready=r"Listening at: https://",
        bind=ADDRESS,
        loopback=False,
    ),
)
