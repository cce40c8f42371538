"""Optional PAdES signing of the finished bundle with pyHanko, and its verification.

Signing is the last step, as an incremental update: any later change to the file is detectable.
A self-signed certificate verifies as intact but untrusted: give the auditor its fingerprint.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..files import atomic_write_bytes


@dataclass(frozen=True)
class SignatureCheck:
    signer: str
    intact: bool
    covers_whole_file: bool
    fingerprint: str


def sign_pdf(path: Path, key_file: Path, password: str) -> str:
    """Sign ``path`` in place; return the signer's SHA-256 certificate fingerprint."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            pfx_file=str(key_file), passphrase=password.encode())
    except Exception as exc:
        raise UserError(f"{key_file}: cannot load the signing key ({exc}); check the file and "
                        "the password.") from None
    if signer is None:
        raise UserError(f"{key_file}: cannot load the signing key; check the file and the password.")
    meta = signers.PdfSignatureMetadata(field_name="ISMSReviewBundle", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="Controlled copy of the management review bundle")
    with path.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        signed = signers.sign_pdf(writer, meta, signer=signer)
        data = signed.getvalue() if isinstance(signed, io.BytesIO) else signed.read()
    atomic_write_bytes(path, data)
    return str(signer.signing_cert.sha256_fingerprint)


def check_signatures(path: Path) -> list[SignatureCheck]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    with path.open("rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        results = []
        for embedded in reader.embedded_signatures:
            status = validate_pdf_signature(embedded)
            results.append(SignatureCheck(
                signer=status.signing_cert.subject.human_friendly,
                intact=bool(status.intact and status.valid),
                covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                fingerprint=status.signing_cert.sha256_fingerprint))
        return results
