"""The playground's certificate authority and server certificates: they pass
Python's strict verification for every name the playground answers to, and
nothing else does."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import stat
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from playground import tls
from playground.services import Playground


def strict(cafile: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def handshake(
    address: tuple[str, int], server_hostname: str, context: ssl.SSLContext
) -> tuple[x509.Certificate, str]:
    """Connect, verify, and return the server's certificate and TLS version."""
    with socket.create_connection(address, timeout=5) as sock:
        tls_sock = context.wrap_socket(sock, server_hostname=server_hostname)
        with tls_sock:
            der = tls_sock.getpeercert(binary_form=True)
            assert der is not None
            return x509.load_der_x509_certificate(der), str(tls_sock.version())


def https_address(pg: Playground) -> tuple[str, int]:
    host, port = pg.servers[1].server_address[:2]
    return str(host), int(port)


def has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def server_cert(playground: Playground) -> x509.Certificate:
    return handshake(
        https_address(playground), "localhost", strict(playground.ca_file)
    )[0]


@pytest.fixture(scope="module")
def ca_cert(playground: Playground) -> x509.Certificate:
    return x509.load_pem_x509_certificate(playground.ca_file.read_bytes())


# -- strict verification, by every name ---------------------------------------------


@pytest.mark.parametrize(
    "name", ["localhost", "127.0.0.1", "www.example.com", "example.com"]
)
def test_strict_verification_passes(playground: Playground, name: str) -> None:
    assert ssl.VERIFY_X509_STRICT & strict(playground.ca_file).verify_flags
    cert, version = handshake(
        https_address(playground), name, strict(playground.ca_file)
    )
    assert version in ("TLSv1.3", "TLSv1.2")
    assert (
        cert.subject.rfc4514_string() == "CN=localhost,OU=geocoder,O=Network Playground"
    )


def test_urls_with_names_verify(playground: Playground) -> None:
    context = strict(playground.ca_file)
    port = https_address(playground)[1]
    for host in ("localhost", "127.0.0.1"):
        with urllib.request.urlopen(
            f"https://{host}:{port}/status", timeout=5, context=context
        ) as reply:
            assert reply.read() == b"OK"


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine has no ::1")
def test_strict_verification_over_ipv6(tmp_path: Path) -> None:
    with Playground("::1", state_dir=tmp_path) as pg:
        assert pg.https_url.startswith("https://[::1]:")
        address = https_address(pg)
        assert address[0] == "::1"
        cert, _ = handshake(address, "::1", strict(pg.ca_file))
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert ipaddress.ip_address("::1") in san.get_values_for_type(x509.IPAddress)
        with urllib.request.urlopen(
            f"{pg.https_url}/search?q=Paris&limit=1",
            timeout=5,
            context=strict(pg.ca_file),
        ) as reply:
            assert b'"name":"Paris"' in reply.read()
        with urllib.request.urlopen(f"{pg.http_url}/status", timeout=5) as reply:
            assert reply.read() == b"OK"


@pytest.mark.parametrize(
    "name", ["www.example.org", "example.net", "127.0.0.2", "local"]
)
def test_other_names_fail_verification(playground: Playground, name: str) -> None:
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        handshake(https_address(playground), name, strict(playground.ca_file))
    assert "mismatch" in failure.value.verify_message


def test_clients_that_do_not_trust_the_ca_fail(playground: Playground) -> None:
    stranger = trustme.CA()
    context = ssl.create_default_context(cadata=stranger.cert_pem.bytes().decode())
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        handshake(https_address(playground), "localhost", context)
    assert failure.value.verify_message == "unable to get local issuer certificate"
    # The server keeps serving clients that do trust it.
    assert handshake(https_address(playground), "localhost", strict(playground.ca_file))


# -- what the certificates say -------------------------------------------------------


def test_the_ca_certificate(ca_cert: x509.Certificate) -> None:
    assert ca_cert.version == x509.Version.v3
    constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = ca_cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    subject = ca_cert.subject.rfc4514_string()
    assert subject == "OU=certificate authority,O=Network Playground"
    assert ca_cert.issuer == ca_cert.subject  # self-signed root


def test_the_server_certificate(
    server_cert: x509.Certificate, ca_cert: x509.Certificate
) -> None:
    assert server_cert.version == x509.Version.v3
    assert server_cert.issuer == ca_cert.subject
    san = server_cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    # The loopback names, and the names the geocoder's declaration asks for.
    assert set(san.get_values_for_type(x509.DNSName)) == {
        "localhost",
        "www.example.com",
        "example.com",
        "geocoder.example.com",
    }
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    constraints = server_cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca
    usage = server_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    extended = server_cert.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    ).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in extended
    key_id = server_cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ca_key_id = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert key_id.value.key_identifier == ca_key_id.value.digest
    now = datetime.datetime.now(datetime.UTC)
    assert server_cert.not_valid_before_utc <= now <= server_cert.not_valid_after_utc


def test_server_names_cover_what_the_playground_answers_to() -> None:
    assert set(tls.SERVER_NAMES) == {
        "localhost",
        "127.0.0.1",
        "::1",
        "www.example.com",
        "example.com",
    }


# -- the state folder ----------------------------------------------------------------


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "state"  # not created yet: the playground makes it


def test_first_start_creates_the_ca_and_keeps_keys_private(state: Path) -> None:
    tls.server_context(state)
    assert sorted(p.name for p in state.iterdir()) == [
        "ca-key.pem",
        "ca.pem",
        "server.pem",
    ]
    for private in ("ca-key.pem", "server.pem"):
        assert stat.S_IMODE((state / private).stat().st_mode) == 0o600, private
    assert b"PRIVATE KEY" in (state / "ca-key.pem").read_bytes()
    assert b"PRIVATE KEY" not in (state / "ca.pem").read_bytes()


def test_later_starts_reuse_the_ca_with_a_fresh_server_certificate(state: Path) -> None:
    tls.server_context(state)
    ca, first_leaf = (
        (state / "ca.pem").read_bytes(),
        (state / "server.pem").read_bytes(),
    )
    tls.server_context(state)
    assert (state / "ca.pem").read_bytes() == ca
    assert (state / "server.pem").read_bytes() != first_leaf


def test_a_client_keeps_trusting_a_restarted_playground(state: Path) -> None:
    with Playground(state_dir=state) as pg:
        saved = pg.ca_file.read_bytes()
    kept = state.parent / "kept-ca.pem"
    kept.write_bytes(saved)
    with Playground(state_dir=state) as pg:
        assert handshake(https_address(pg), "localhost", strict(kept))


def test_a_missing_key_means_a_new_ca(state: Path) -> None:
    tls.server_context(state)
    old_ca = (state / "ca.pem").read_bytes()
    (state / "ca-key.pem").unlink()
    with Playground(state_dir=state) as pg:
        assert pg.ca_file.read_bytes() != old_ca
        assert handshake(https_address(pg), "localhost", strict(pg.ca_file))


def bare_certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate with no extensions at all, and its key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("garbage-cert", "are not a PEM certificate and key"),
        ("garbage-key", "are not a PEM certificate and key"),
        ("other-key", "ca-key.pem does not match ca.pem"),
        ("leaf-as-ca", "ca.pem is not a CA certificate"),
        ("no-constraints", "ca.pem is not a CA certificate"),
    ],
)
def test_a_damaged_ca_is_refused_with_advice(
    state: Path, damage: str, problem: str
) -> None:
    tls.server_context(state)
    other = trustme.CA()
    if damage == "garbage-cert":
        (state / "ca.pem").write_text("not a certificate\n")
    elif damage == "garbage-key":
        (state / "ca-key.pem").write_text("")
    elif damage == "other-key":
        (state / "ca-key.pem").write_bytes(other.private_key_pem.bytes())
    elif damage == "no-constraints":
        cert, key = bare_certificate()
        (state / "ca.pem").write_bytes(cert)
        (state / "ca-key.pem").write_bytes(key)
    else:
        leaf = other.issue_cert("localhost")
        (state / "ca.pem").write_bytes(leaf.cert_chain_pems[0].bytes())
        (state / "ca-key.pem").write_bytes(leaf.private_key_pem.bytes())
    with pytest.raises(tls.StateError) as failure:
        tls.server_context(state)
    message = str(failure.value)
    assert problem in message
    assert message.startswith(f"{state} holds no usable certificate authority")
    assert message.endswith("delete ca.pem and ca-key.pem there to make a new one")


def test_no_temporary_files_are_left_behind(state: Path) -> None:
    for _ in range(3):
        tls.server_context(state)
    assert not [p.name for p in state.iterdir() if p.name.startswith(".")]


def test_the_server_context_is_for_servers(state: Path) -> None:
    context = tls.server_context(state)
    assert isinstance(context, ssl.SSLContext)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER
