"""The ftp host's FTP banner (a placeholder until the machine room's real
FTP server): see :mod:`playground.services.banner`."""

from __future__ import annotations

from typing import ClassVar

from playground.services import banner
from playground.services.spec import Context, Port, Service


class FTPBanner(banner.Banner):
    greeting = "220 ftp.example.com playground (greets only; serves no files yet)"
    replies: ClassVar[dict[str, str]] = {"NOOP": "200 NOOP ok."}
    bye = "221 Goodbye."
    refusal = "502 Command not implemented: this server serves no files yet."
    too_long = "500 Line too long."
    idle = "421 Idle too long, closing control connection."


def serve(ctx: Context) -> banner.BannerRun:
    return banner.serve(FTPBanner, ctx, "ftp")


SERVICE = Service(
    name="ftp",
    summary="FTP banner",
    host="ftp",
    ports=(Port("ftp", "tcp", 21),),
    serve=serve,
)
