"""The playground's own certificate authority and its server certificates.

TLS verification is never turned off anywhere in this project. Instead the
playground makes a certificate authority the first time it starts, keeps it
in its state directory, and signs a fresh server certificate at every start.
Clients trust the authority through ``SSL_CERT_FILE`` (the ``ssl`` module)
and ``REQUESTS_CA_BUNDLE`` (Requests), which ``python -m playground run`` sets.

The certificates come from ``trustme``: X.509 v3 with subjectAltName, key
usage and basic constraints, so they pass Python's strict verification
(``ssl.VERIFY_X509_STRICT``, the default since Python 3.13).
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

#: Who the certificates say issued them and for whom (trustme's test labels
#: otherwise).
ORGANIZATION = "Network Playground"

#: The names the server certificate is valid for.
SERVER_NAMES = ("localhost", "127.0.0.1", "::1", "www.example.com", "example.com")


class StateError(Exception):
    """The state directory holds a certificate authority that cannot be used."""


def _write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write *data* to a temporary file beside *path*, with permissions
    *mode*, and return its name. The caller moves it into place with
    :func:`os.replace`, so no reader ever sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return temporary


def authority(state_dir: Path) -> trustme.CA:
    """Load the playground CA from *state_dir*, creating it on first use."""
    cert, key = state_dir / "ca.pem", state_dir / "ca-key.pem"
    if cert.exists() and key.exists():
        return _load(cert, key)
    state_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(
        organization_name=ORGANIZATION, organization_unit_name="certificate authority"
    )
    os.replace(_write(key, ca.private_key_pem.bytes(), 0o600), key)
    os.replace(_write(cert, ca.cert_pem.bytes()), cert)
    return ca


def _load(cert: Path, key: Path) -> trustme.CA:
    """The CA in *cert* and *key*, checked: a CA certificate, and its key."""
    cert_pem, key_pem = cert.read_bytes(), key.read_bytes()
    problem = f"{cert.parent} holds no usable certificate authority"
    advice = f"delete {cert.name} and {key.name} there to make a new one"
    not_ca = f"{problem} ({cert.name} is not a CA certificate); {advice}"
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
        private_key = serialization.load_pem_private_key(key_pem, password=None)
        constraints = certificate.extensions.get_extension_for_class(
            x509.BasicConstraints
        )
    except (ValueError, TypeError):
        unreadable = f"{cert.name} and {key.name} are not a PEM certificate and key"
        raise StateError(f"{problem} ({unreadable}); {advice}") from None
    except x509.ExtensionNotFound:
        raise StateError(not_ca) from None
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if not constraints.value.ca:
        raise StateError(not_ca)
    ours = private_key.public_key().public_bytes(der, spki)
    if certificate.public_key().public_bytes(der, spki) != ours:
        raise StateError(f"{problem} ({key.name} does not match {cert.name}); {advice}")
    return trustme.CA.from_pem(cert_pem, key_pem)


def server_context(
    state_dir: Path, names: tuple[str, ...] = SERVER_NAMES
) -> ssl.SSLContext:
    """A server-side context with a certificate for *names*, signed by the CA.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ctx = server_context(Path(d))
    ...     sorted(p.name for p in Path(d).iterdir())
    ['ca-key.pem', 'ca.pem', 'server.pem']
    """
    ca = authority(state_dir)
    leaf = ca.issue_cert(
        *names,
        common_name=names[0],
        organization_name=ORGANIZATION,
        organization_unit_name="geocoder",
    )
    chain = state_dir / "server.pem"
    written = _write(chain, leaf.private_key_and_cert_chain_pem.bytes(), 0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(written)
    finally:
        os.replace(written, chain)  # kept for the curious: openssl x509 -in ...
    return context
