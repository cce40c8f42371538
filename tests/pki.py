"""Test certificates made with `cryptography`: self-signed signers, a CA and the signers it
issues, a timestamp authority and a local RFC 3161 server over HTTP."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Identity:
    key: Any
    cert: x509.Certificate

    def pem(self, path: Path) -> Path:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def p12(self, path: Path, password: str) -> Path:
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"signer", self.key, self.cert, None,
            serialization.BestAvailableEncryption(password.encode())))
        return path


def _usage(non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=non_repudiation,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                         decipher_only=False)


def identity(name: str, issuer: Identity | None = None, *, non_repudiation: bool = True,
             ca: bool = False, tsa: bool = False, serial: int = 1000) -> Identity:
    """An EC P-256 key (fast to make; RSA for a timestamp authority, as pyHanko's test TSA
    needs) and its certificate; self-signed unless ``issuer`` is given."""
    key: Any = rsa.generate_private_key(65537, 2048) if tsa else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(serial).not_valid_before(START)
               .not_valid_after(START + dt.timedelta(days=3650)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(_usage(non_repudiation), critical=True)
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                        critical=True)
    signing_key = issuer.key if issuer else key
    return Identity(key, builder.sign(signing_key, hashes.SHA256()))


def dummy_timestamper(tsa: Identity) -> Any:
    from asn1crypto import keys
    from asn1crypto import x509 as ax
    from pyhanko.sign.timestamps import DummyTimeStamper

    der_key = tsa.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return DummyTimeStamper(tsa_cert=ax.Certificate.load(tsa.cert.public_bytes(serialization.Encoding.DER)),
                            tsa_key=keys.PrivateKeyInfo.load(der_key))


@contextmanager
def tsa_server(tsa: Identity) -> Iterator[str]:
    """A local timestamp authority answering RFC 3161 requests over HTTP; yields its URL."""
    from asn1crypto import tsp

    stamper = dummy_timestamper(tsa)
    seen: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            seen.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
