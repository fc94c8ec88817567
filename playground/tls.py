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

import ssl
from pathlib import Path

import trustme

#: The names the server certificate is valid for.
SERVER_NAMES = ("localhost", "127.0.0.1", "::1", "www.example.com", "example.com")


def authority(state_dir: Path) -> trustme.CA:
    """Load the playground CA from *state_dir*, creating it on first use."""
    cert, key = state_dir / "ca.pem", state_dir / "ca-key.pem"
    if cert.exists() and key.exists():
        return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
    state_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Network Playground")
    key.touch(mode=0o600)
    ca.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(cert))
    return ca


def server_context(state_dir: Path, names: tuple[str, ...] = SERVER_NAMES) -> ssl.SSLContext:
    """A server-side context with a certificate for *names*, signed by the CA.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ctx = server_context(Path(d))
    ...     sorted(p.name for p in Path(d).iterdir())
    ['ca-key.pem', 'ca.pem', 'server.pem']
    """
    ca = authority(state_dir)
    leaf = ca.issue_cert(*names, common_name=names[0])
    chain = state_dir / "server.pem"
    chain.touch(mode=0o600)
    leaf.private_key_and_cert_chain_pem.write_to_path(str(chain))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return context
