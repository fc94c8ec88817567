"""Telnet on ftp.example.com: GNU inetutils' ``telnetd`` under its
``inetd``, the way Telnet was always run.

Port 23; the reader logs in with the account's password, which crosses
the network in clear text, byte by byte: the one chapter that shows why
nobody runs Telnet any more shows it here.
"""

from __future__ import annotations

from playground.services import machine
from playground.services.spec import Context, Port, Service

INETD = "/usr/sbin/inetutils-inetd"
TELNETD = "/usr/sbin/telnetd"
HOST = "ftp"


def command(ctx: Context) -> list[str]:
    run_dir = ctx.work.parent
    machine.prepare(run_dir, HOST, machine.reader_uid())
    config = ctx.work / "inetd.conf"
    config.write_text(
        "# inetd on ftp.example.com (the network playground): made by up.\n"
        f"telnet stream tcp nowait root {TELNETD} telnetd\n"
    )
    argv = [INETD, "-d", "--pidfile=/run/inetd.pid", str(config)]
    return machine.enter(run_dir, HOST, argv)


SERVICE = Service(
    name="telnet",
    summary="Telnet (inetutils telnetd)",
    host=HOST,
    ports=(Port("telnet", "tcp", 23),),
    command=command,
    loopback=False,
)
