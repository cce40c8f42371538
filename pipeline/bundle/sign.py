"""PAdES signatures with pyHanko: the approver signs the finished (PDF/A) bundle or minutes.

Signing is the last step, as an incremental update, so any later change is detectable. B-B
(basic) works offline; with a timestamp authority (``--tsa URL`` or ``ISMS_REVIEW_TSA_URL``)
the signature carries an RFC 3161 timestamp: PAdES B-T. The signature's visible box, on the
bundle's signature page, says who signed, when and the level reached, in an embedded font.

Validation never trusts the operating system's list: only the certificates given (see
:mod:`.trust`). A self-signed or untrusted signer is an answer ("untrusted"), not an error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import atomic_write_bytes
from .pages import DEJAVU
from .trust import Trusted, describe, fingerprint, is_self_signed, quiet

FIELD = "ISMSReviewApproval"
TSA_TIMEOUT = 20  # seconds


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: page index (0-based) and rectangle in PDF points."""

    page: int
    rect: tuple[float, float, float, float]


@dataclass(frozen=True)
class Signed:
    signer: str
    fingerprint: str
    level: str
    signed_at: str
    sha256_before: str
    sha256_after: str


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str
    fingerprint: str
    intact: bool             # the signed bytes are unchanged and the signature is valid
    covers_whole_file: bool  # nothing was appended after this signature
    trusted: bool            # the signer is one of the certificates the user trusts
    self_signed: bool
    level: str               # "PAdES B-B" or "PAdES B-T"
    signed_at: str           # the time the signer's software claimed (B-B) or the timestamp (B-T)
    revision: int            # 1-based revision of the file this signature was made in
    modification: str        # what later revisions changed, as pyHanko judges it
    problem: str = ""        # why it is not intact/trusted, in one line

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TsaTimeStamper:
    """An RFC 3161 client over urllib (no extra HTTP library for one POST)."""

    def __new__(cls, url: str) -> Any:  # built lazily: pyHanko is imported only when signing
        from pyhanko.sign.timestamps.api import TimeStamper

        class _Client(TimeStamper):
            async def async_request_tsa_response(self, req: Any) -> Any:
                return await asyncio.to_thread(_post_tsa, url, req)

        return _Client()  # type: ignore[no-untyped-call]


def _post_tsa(url: str, req: Any) -> Any:
    from asn1crypto import tsp

    request = urllib.request.Request(url, data=req.dump(), method="POST",
                                     headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(request, timeout=TSA_TIMEOUT) as response:
            body = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"{url}: the timestamp authority did not answer ({reason}); sign without "
                        "--tsa for PAdES B-B, or check the URL.") from None
    try:
        return tsp.TimeStampResp.load(body)
    except Exception:
        raise UserError(f"{url}: the answer is not an RFC 3161 timestamp response; check the "
                        "timestamp authority's URL.") from None


def _load_signer(key_file: Path, password: str) -> Any:
    from pyhanko.sign import signers

    try:
        with quiet():
            signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                pfx_file=str(key_file), passphrase=password.encode())
    except Exception:
        signer = None
    if signer is None or signer.signing_cert is None:
        raise UserError(f"{key_file}: cannot load the signing key; check it is a PKCS#12 (.p12) "
                        "file and the password (ISMS_REVIEW_SIGN_PASSWORD).")
    usage = signer.signing_cert.key_usage_value
    allowed = set(usage.native) if usage is not None else set()
    if "non_repudiation" not in allowed:
        raise UserError(f"{key_file}: the certificate of {describe(signer.signing_cert)} lacks the "
                        "nonRepudiation (content commitment) key usage, so its signatures would be "
                        "rejected; issue a signing certificate with it.")
    return signer


def _appearance_font(text: str, folder: Path) -> Path:
    """DejaVu Sans cut to the characters of ``text`` and scaled to 1000 units per em (pyHanko
    writes glyph widths in font units; at 1000 they are the PDF widths)."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]

    font = TTFont(DEJAVU / "DejaVuSans.ttf", recalcTimestamp=False)
    options = subset.Options()
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " ?")
    subsetter.subset(font)
    scale_upem(font, 1000)
    target = folder / "signature-font.ttf"
    font.save(str(target))
    font.close()
    return target


def sign_pdf(path: Path, key_file: Path, password: str, *, box: SignatureBox | None = None,
             tsa_url: str | None = None, timestamper: Any = None,
             reason: str = "Approval of the management review record") -> Signed:
    """Sign ``path`` in place (atomically) as an incremental update. ``timestamper`` (a pyHanko
    TimeStamper) or ``tsa_url`` make it PAdES B-T; otherwise B-B."""
    from pyhanko import stamp
    from pyhanko.pdf_utils import text
    from pyhanko.pdf_utils.font import opentype
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _load_signer(key_file, password)
    if timestamper is None and tsa_url:
        timestamper = TsaTimeStamper(tsa_url)
    level = "PAdES B-T" if timestamper is not None else "PAdES B-B"
    name = describe(signer.signing_cert)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data = path.read_bytes()
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
                                        name=name)
    words = (f"Signed by {name}\n{when:%Y-%m-%d %H:%M} UTC"
             f"{' (timestamped)' if timestamper is not None else ' (signer clock)'}\nLevel: {level}")
    with tempfile.TemporaryDirectory(prefix="isms-review-sign-") as tmp, quiet():
        style = stamp.TextStampStyle(
            stamp_text=words, border_width=1,
            text_box_style=text.TextBoxStyle(font=opentype.GlyphAccumulatorFactory(
                str(_appearance_font(words, Path(tmp))), font_size=9)))
        spec = None
        if box is not None:
            x0, y0, x1, y1 = (int(v) for v in box.rect)
            spec = fields.SigFieldSpec(FIELD, on_page=box.page, box=(x0, y0, x1, y1))
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper,
                                           stamp_style=style, new_field_spec=spec)
            signed = pdf_signer.sign_pdf(writer)
        except UserError:
            raise
        except Exception as exc:
            raise UserError(f"{path}: cannot be signed ({str(exc).splitlines()[0][:200]}); "
                            "sign the file isms-review made, unchanged.") from None
    out = signed.getvalue() if isinstance(signed, io.BytesIO) else signed.read()
    atomic_write_bytes(path, out)
    return Signed(name, fingerprint(signer.signing_cert), level, when.isoformat(),
                  hashlib.sha256(data).hexdigest(), hashlib.sha256(out).hexdigest())


def check_signatures(data: bytes, trusted: Trusted) -> list[SignatureCheck]:
    """Every signature in ``data``, validated against ``trusted`` only (never the OS list).
    Raises ValueError when the file's signatures cannot be parsed at all."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    results = []
    with quiet():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            embedded = list(reader.embedded_signatures)
        except Exception as exc:
            raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        for sig in embedded:
            results.append(_check_one(sig, trusted, validate_pdf_signature, ValidationContext,
                                      SignatureCoverageLevel))
    return results


def _check_one(sig: Any, trusted: Trusted, validate: Any, context: Any, coverage: Any) -> SignatureCheck:
    field = str(getattr(sig, "field_name", "") or "")
    try:
        revision = int(sig.signed_revision) + 1
    except Exception:
        revision = 0
    try:
        cert = sig.signer_cert
        name, print_, self_signed = describe(cert), fingerprint(cert), is_self_signed(cert)
    except Exception:
        return SignatureCheck(field, "unknown signer", "", False, False, False, False, "", "",
                              revision, "", "the signature's certificate cannot be read")
    try:
        status = validate(sig, context(trust_roots=list(trusted.certs), allow_fetching=False))
    except Exception as exc:
        return SignatureCheck(field, name, print_, False, False, False, self_signed, "", "",
                              revision, "", f"the signature cannot be validated "
                              f"({str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__})")
    timestamped = getattr(status, "timestamp_validity", None) is not None
    when = status.timestamp_validity.timestamp if timestamped else status.signer_reported_dt
    intact = bool(status.intact and status.valid)
    whole = status.coverage == coverage.ENTIRE_FILE
    is_trusted = bool(status.trusted) and bool(trusted.certs)
    problem = ""
    if not intact:
        problem = "the signed bytes were changed after signing"
    elif not is_trusted:
        problem = ("self-signed and not in your trusted certificates" if self_signed
                   else "not issued by a certificate you trust")
    modification = getattr(status.modification_level, "name", "") if status.modification_level else ""
    return SignatureCheck(field, name, print_, intact, whole, is_trusted, self_signed,
                          "PAdES B-T" if timestamped else "PAdES B-B",
                          when.isoformat() if when is not None else "", revision, modification,
                          problem)
