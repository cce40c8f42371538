"""`isms-review sign`: the approver signs the record, and the issue register says so.

Only an untouched record is signed: a bundle is verified first (a broken one is refused, so a
signature never blesses a tampered file) and must be the record (the workbook records its
approval); its signature goes in the box on its signature page. The sidecar manifest then
records the signer's certificate fingerprint and the new whole-file hash, and the register a
``signed`` entry that a later rebuild from a changed workbook marks stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pikepdf

from ..errors import UserError
from ..files import atomic_write_bytes, source_date
from ..register import REGISTER, Register
from .manifest import ManifestShape, parse_manifest
from .sign import SignatureBox, Signed, sign_pdf


def _manifest(path: Path) -> Any:
    try:
        with pikepdf.open(path) as pdf:
            spec = pdf.attachments.get("manifest.json")
            return parse_manifest(spec.get_file().read_bytes()) if spec is not None else None
    except (pikepdf.PdfError, ManifestShape, OSError):
        return None


def approve(path: Path, key: Path, password: str, tsa_url: str | None = None,
            timestamper: Any = None) -> Signed:
    manifest = _manifest(path)
    box = None
    if manifest is not None and manifest.volumes:
        raise UserError(f"{path}: refused: this bundle is in {len(manifest.volumes)} volumes, and "
                        "signing a bundle in volumes is not supported yet; build the record "
                        "without --volume-size to sign it.")
    if manifest is not None:
        from .verify import verify_bundle

        check = verify_bundle(path)
        if check.verdict == "broken":
            raise UserError(f"{path}: refused: the bundle does not verify "
                            f"({check.problems[0].text()}); sign only the file isms-review made.")
        status = str(manifest.control.get("status", ""))
        if status != "record":
            raise UserError(f"{path}: refused: this bundle is not the record (its status is "
                            f"'{status or 'unknown'}'); record 'Approved by' and 'Approved on' in "
                            "the workbook, build the final stage, then sign the new bundle.")
        if manifest.signature_box is not None:
            page, rect = manifest.signature_box
            box = SignatureBox(page - 1, rect)
    signed = sign_pdf(path, key, password, box=box, tsa_url=tsa_url, timestamper=timestamper)
    _update_sidecar(path, signed)
    _record(path, signed)
    return signed


def _update_sidecar(path: Path, signed: Signed) -> None:
    sidecar_path = path.with_name(path.stem + "-manifest.json")
    if not sidecar_path.is_file():
        return
    try:
        sidecar = json.loads(sidecar_path.read_bytes())
        bundle = sidecar["bundle"]
    except (ValueError, KeyError, TypeError, OSError):
        return
    bundle.update(sha256=signed.sha256_after, bytes=path.stat().st_size,
                  signer_certificate_sha256=signed.fingerprint, signer=signed.signer,
                  signature_level=signed.level, signed_at=signed.signed_at)
    atomic_write_bytes(sidecar_path, json.dumps(sidecar, indent=2, ensure_ascii=False).encode())


def _record(path: Path, signed: Signed) -> None:
    folder = next((f for f in (path.resolve().parent, path.resolve().parent.parent)
                   if (f / REGISTER).is_file()), None)
    if folder is None:
        return
    register = Register.load(folder)
    issued = next((e for e in reversed(register.entries) if e.sha256 == signed.sha256_before
                   and e.event in ("issued", "reissued")), None)
    when = source_date().isoformat() + "Z"
    register.append([{
        "time": when, "event": "signed", "stage": issued.stage if issued else "",
        "document": issued.document if issued else "", "file": path.name,
        "version": issued.version if issued else "", "status": issued.status if issued else "",
        "sha256": signed.sha256_after,
        "workbook_file": issued.workbook_file if issued else "",
        "workbook_sha256": issued.workbook_sha256 if issued else "",
        "note": f"signed by {signed.signer} ({signed.level})" + ("" if issued else
                                                                 "; this file was not in the register"),
        "signer": signed.signer, "signer_certificate_sha256": signed.fingerprint,
        "level": signed.level, "signed_at": signed.signed_at, "signed_from": signed.sha256_before}])
