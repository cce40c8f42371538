"""Whom a signature must come from: trusted signer certificates, given explicitly.

Trust is never taken from the operating system: an auditor names the certificates they accept
with ``verify --trust CERT.pem``, or the review folder holds them in ``trusted-signers.pem``.
Certificates are compared by the SHA-256 fingerprint of their DER encoding (what
``openssl x509 -fingerprint -sha256`` prints, without the colons).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError

TRUST_FILE = "trusted-signers.pem"
_QUIET = ("pyhanko", "pyhanko_certvalidator", "fontTools", "asn1crypto")


@dataclass(frozen=True)
class Trusted:
    """Certificates accepted as signers (``certs`` are asn1crypto certificates)."""

    certs: tuple[Any, ...]
    sources: tuple[str, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(fingerprint(c) for c in self.certs)


def fingerprint(cert: Any) -> str:
    """SHA-256 of a certificate's DER encoding, lower-case hex."""
    return hashlib.sha256(cert.dump()).hexdigest()


def load_certificates(path: Path) -> list[Any]:
    """Every certificate in a PEM (one or several) or DER file; UserError naming the file."""
    from asn1crypto import pem, x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the certificate file ({exc.strerror}).") from None
    try:
        if pem.detect(data):
            certs = [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                     if kind == "CERTIFICATE"]
        else:
            certs = [x509.Certificate.load(data)]
        for cert in certs:
            cert.native  # noqa: B018 - parses the whole structure now, not later
    except Exception:
        raise UserError(f"{path}: not a certificate in PEM or DER form; export the signer's "
                        "certificate (not the .p12 key) and give that file.") from None
    if not certs:
        raise UserError(f"{path}: holds no CERTIFICATE block; give the signer's certificate.")
    return certs


def trusted_signers(explicit: Sequence[Path], review_folder: Path | None) -> Trusted:
    """The certificates given with --trust, else those in the review folder's trust file."""
    paths = list(explicit)
    if not paths and review_folder is not None and (review_folder / TRUST_FILE).is_file():
        paths = [review_folder / TRUST_FILE]
    certs = [cert for path in paths for cert in load_certificates(path)]
    return Trusted(tuple(certs), tuple(str(p) for p in paths))


def is_self_signed(cert: Any) -> bool:
    with contextlib.suppress(Exception):
        return bool(cert.self_signed in ("maybe", "yes"))
    return False


def describe(cert: Any) -> str:
    """The subject's common name (or the whole subject) for messages."""
    try:
        name = cert.subject.native.get("common_name") or cert.subject.human_friendly
    except Exception:
        return "an unreadable certificate"
    return str(name[0] if isinstance(name, list) else name)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence pyHanko's and certvalidator's logging and warnings (they log tracebacks for an
    untrusted or self-signed certificate, which is an answer here, not a fault)."""
    loggers = [logging.getLogger(name) for name in _QUIET]
    saved = [lg.level for lg in loggers]
    for lg in loggers:  # children without a level of their own inherit this one
        lg.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, saved, strict=True):
            lg.setLevel(level)
