"""Awkward evidence files, made in the tests: rotations, odd boxes, page-size mixes, encryption,
damage, outlines, named destinations, form fields, a signed PDF, a long file, an image, a DOCX."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
from fpdf import FPDF
from pikepdf import Array, Dictionary, Name


def text_pdf(pages: int, title: str, size: str | tuple[float, float] = "A4",
             orientation: str = "P") -> bytes:
    pdf = FPDF(unit="pt", format=size, orientation=orientation)
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pdf.set_font("helvetica", size=14)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(0, 20, f"{title} - page {n + 1}")
    return bytes(pdf.output())


def save(pdf: pikepdf.Pdf, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, **kwargs)  # type: ignore[arg-type]
    return buffer.getvalue()


def rotated(rotation: int) -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(2, f"rotated {rotation}")))
    for page in pdf.pages:
        page.obj.Rotate = rotation
    return save(pdf)


def offset_mediabox() -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(1, "offset media box")))
    page = pdf.pages[0]
    page.obj.MediaBox = Array([100, 200, 100 + 595.28, 200 + 841.89])
    page.contents_add(pdf.make_stream(b"1 0 0 1 100 200 cm"), prepend=True)
    return save(pdf)


def small_cropbox() -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(1, "small crop box")))
    pdf.pages[0].obj.CropBox = Array([50, 300, 400, 800])
    return save(pdf)


def mixed_sizes() -> bytes:
    out = pikepdf.new()
    for size, orientation in (("A4", "L"), ("A3", "P"), ("Letter", "P")):
        out.pages.extend(pikepdf.open(io.BytesIO(text_pdf(1, f"{size} {orientation}", size,
                                                          orientation))).pages)
    return save(out)


def encrypted(user_password: str) -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(1, "encrypted")))
    return save(pdf, encryption=pikepdf.Encryption(owner="owner-secret", user=user_password,
                                                   R=6))


def truncated() -> bytes:
    data = text_pdf(3, "truncated")
    return data[: len(data) // 3]


def zero_pages() -> bytes:
    pdf = pikepdf.new()
    return save(pdf)


def with_outline_and_named_dests(title: str) -> bytes:
    """Three pages; an outline; a link on page 1 to the named destination 'intro' (page 3).
    Two such files use the same names: the bundle must keep each link inside its own file."""
    pdf = pikepdf.open(io.BytesIO(text_pdf(3, title)))
    pdf.Root.Names = Dictionary(Dests=Dictionary(Names=Array(
        [pikepdf.String("intro"), Array([pdf.pages[2].obj, Name.Fit])])))
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([50, 700, 300, 750]),
                      Border=Array([0, 0, 0]), Dest=pikepdf.String("intro"))
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])
    with pdf.open_outline() as outline:
        chapter = pikepdf.OutlineItem(f"{title} chapter 1", 0)
        chapter.children.append(pikepdf.OutlineItem(f"{title} section 1.1", 1))
        outline.root.append(chapter)
        outline.root.append(pikepdf.OutlineItem(f"{title} chapter 2", 2))
    return save(pdf)


def with_form_field(value: str) -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(1, f"form {value}")))
    field = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("Name"),
        V=pikepdf.String(value), Rect=Array([50, 600, 300, 620]), P=pdf.pages[0].obj))
    pdf.pages[0].obj.Annots = Array([field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), DA=pikepdf.String("/Helv 10 Tf 0 g"))
    return save(pdf)


def self_signed_pkcs12(path: Path, password: str, name: str = "Test Signer") -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(1000).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"test", key, cert, None, serialization.BestAvailableEncryption(password.encode())))


def signed_pdf(tmp: Path) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = tmp / "source-signer.p12"
    self_signed_pkcs12(key, "pw", "Source Signer")
    signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(key), passphrase=b"pw")
    writer = IncrementalPdfFileWriter(io.BytesIO(text_pdf(1, "signed source")))
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer)
    return bytes(out.getvalue())


def png(width: int = 800, height: int = 300) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle([20, 20, width - 20, height - 20], outline="navy", width=8)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def docx_file() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Supplier security policy", 1)
    document.add_paragraph("A Word document given as evidence.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_file() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Access review"
    ws.append(["User", "System", "Still needed"])
    ws.append(["j.doe", "ERP", "No"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def odt_file(tmp: Path) -> bytes:
    """An OpenDocument text, made from a DOCX by LibreOffice (no Python ODT writer needed)."""
    import subprocess

    source = tmp / "odt-source.docx"
    source.write_bytes(docx_file())
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "odt", "--outdir", str(tmp), str(source)],
                   check=True, capture_output=True, timeout=180)
    return (tmp / "odt-source.odt").read_bytes()
