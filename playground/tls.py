"""The one place the playground's certificates come from.

TLS verification is never turned off anywhere in this project. Instead the
playground keeps one certificate authority per state folder (made the first
time it is needed) and issues every service a fresh leaf certificate, by
name, each time the service starts: :func:`issue` for the names a service
declares (see :mod:`playground.services`), :func:`server_context` for a
ready ``ssl`` context. Clients trust the authority through ``SSL_CERT_FILE``
(the ``ssl`` module) and ``REQUESTS_CA_BUNDLE`` (Requests), which
``python -m playground run`` and ``python -m playground.net exec`` set.

The certificates come from ``trustme``: X.509 v3 with subjectAltName, key
usage and basic constraints, so they pass Python's strict verification
(``ssl.VERIFY_X509_STRICT``, the default since Python 3.13).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

#: Who the certificates say issued them and for whom (trustme's test labels
#: otherwise).
ORGANIZATION = "Network Playground"

#: The state folder (CA, certificates, run files) unless told otherwise:
#: ``PLAYGROUND_STATE``, else ``build/playground`` in the project. (Its value,
#: an absolute path, is the builder's own: the book leaves it out.)
#:
#: :meta hide-value:
DEFAULT_STATE = Path(__file__).resolve().parent.parent / "build" / "playground"

#: The names every certificate for a loopback service carries.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

#: What :func:`server_context` certifies unless told otherwise.
SERVER_NAMES = (*LOOPBACK_NAMES, "www.example.com", "example.com")


def state_dir(given: Path | None = None) -> Path:
    """*given*, else ``$PLAYGROUND_STATE``, else :data:`DEFAULT_STATE`."""
    return given or Path(os.environ.get("PLAYGROUND_STATE", DEFAULT_STATE))


def ca_file(state: Path) -> Path:
    """The CA certificate that clients of *state*'s services must trust."""
    return state / "ca.pem"


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


def authority(state: Path) -> trustme.CA:
    """Load the playground CA from *state*, creating it on first use."""
    cert, key = ca_file(state), state / "ca-key.pem"
    if cert.exists() and key.exists():
        return _load(cert, key)
    state.mkdir(parents=True, exist_ok=True)
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


def issue(state: Path, names: Sequence[str], dest: Path, unit: str = "server") -> Path:
    """Write a fresh leaf certificate for *names* (DNS names or addresses),
    signed by *state*'s CA, with its private key, to *dest* (mode 0600,
    replaced whole); return *dest*. Clients trust the CA, not the leaf.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     pem = issue(Path(d), ['mail.example.com'], Path(d) / 'smtp.pem')
    ...     text = pem.read_text()
    ...     text.count('BEGIN CERTIFICATE'), 'PRIVATE KEY' in text
    (1, True)
    """
    ca = authority(state)
    leaf = ca.issue_cert(
        *names,
        common_name=names[0],
        organization_name=ORGANIZATION,
        organization_unit_name=unit,
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = _write(dest, leaf.private_key_and_cert_chain_pem.bytes(), 0o600)
    os.replace(written, dest)
    return dest


def context(chain: Path) -> ssl.SSLContext:
    """A server-side context that presents the key and chain in *chain*."""
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # Said outright: a server context's default floor depends on how Python
    # was built (Debian 12's 3.11.2 leaves it at MINIMUM_SUPPORTED).
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(chain)
    return tls


def server_context(
    state: Path, names: Sequence[str] = SERVER_NAMES, dest: Path | None = None
) -> ssl.SSLContext:
    """A server-side context with a certificate for *names*, signed by the CA
    (the key and chain are kept in *dest*, default ``server.pem`` in *state*,
    for the curious: ``openssl x509 -in ...``).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ctx = server_context(Path(d))
    ...     sorted(p.name for p in Path(d).iterdir())
    ['ca-key.pem', 'ca.pem', 'server.pem']
    """
    return context(issue(state, names, dest or state / "server.pem"))
