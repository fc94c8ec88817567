"""The mail host's SMTP banner (a placeholder until the machine room's
real mail server): see :mod:`playground.services.banner`."""

from __future__ import annotations

from typing import ClassVar

from playground.services import banner
from playground.services.spec import Context, Port, Service


class SMTPBanner(banner.Banner):
    greeting = (
        "220 mail.example.com ESMTP playground (greets only; accepts no mail yet)"
    )
    replies: ClassVar[dict[str, str]] = {"NOOP": "250 2.0.0 OK"}
    bye = "221 2.0.0 mail.example.com closing connection"
    refusal = "502 5.5.1 Command not implemented: this server accepts no mail yet"
    too_long = "500 5.5.2 Line too long"
    idle = "421 4.4.2 mail.example.com idle too long, closing connection"


def serve(ctx: Context) -> banner.BannerRun:
    return banner.serve(SMTPBanner, ctx, "smtp")


SERVICE = Service(
    name="smtp",
    summary="SMTP banner",
    host="mail",
    ports=(Port("smtp", "tcp", 25),),
    serve=serve,
)
