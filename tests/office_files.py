"""Office documents made in the tests: linked (not embedded) images, an ODT with form controls,
macro-enabled files, many-page documents."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path


def png_bytes(color: str = "red", size: tuple[int, int] = (200, 100)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def docx_bytes(paragraphs: list[str], pictures: int = 0) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for _ in range(pictures):
        document.add_picture(io.BytesIO(png_bytes("green")))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def linked_docx(targets: list[str]) -> bytes:
    """A DOCX whose pictures are *linked* to ``targets`` (r:link, TargetMode External)."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["Linked pictures follow."], len(targets))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                for n, rid in enumerate(re.findall(r'r:embed="(rId\d+)"', text)):
                    text = text.replace(f'r:embed="{rid}"', f'r:link="rIdLink{n}"', 1)
                data = text.encode()
            elif item.filename == "word/_rels/document.xml.rels":
                rels = "".join(
                    f'<Relationship Id="rIdLink{n}" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/image" Target="{target}" TargetMode="External"/>'
                    for n, target in enumerate(targets))
                data = data.decode().replace("</Relationships>", rels + "</Relationships>").encode()
            archive.writestr(item, data)
    return out.getvalue()


ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
          'xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2"')


def odt_bytes(body: str, forms: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS}>'
               f"<office:body><office:text>{forms}{body}</office:text></office:body>"
               "</office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", ODT_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def linked_odt(target: str) -> bytes:
    frame = (f'<text:p>Linked picture:<draw:frame draw:name="p1" svg:width="4cm" svg:height="2cm" '
             f'text:anchor-type="as-char"><draw:image xlink:href="{target}" xlink:type="simple" '
             'xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>')
    return odt_bytes(frame)


FORM_HTML = """<html><body><p>Supplier questionnaire</p><form>
<p>Name: <input type="text" name="Name" value="{name}"></p>
<p>Approved: <input type="checkbox" name="Approved" checked></p>
<p>Role: <input type="text" name="Role" value="{role}"></p></form></body></html>"""


def form_odt(tmp: Path, name: str = "Alice Example", role: str = "CISO") -> bytes:
    """An ODT with form controls (a text box, a check box), made by LibreOffice from an HTML
    form; LibreOffice exports it as a PDF with an AcroForm."""
    import subprocess

    work = tmp / "form-odt"
    work.mkdir(exist_ok=True)
    (work / "form.html").write_text(FORM_HTML.format(name=name, role=role), "utf-8")
    subprocess.run(["soffice", f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                    "--convert-to", "odt:writer8", "--outdir", str(work), str(work / "form.html")],
                   check=True, capture_output=True, timeout=120)
    return (work / "form.odt").read_bytes()


def macro_docx() -> bytes:
    """A DOCX carrying a VBA project (as a .docm would)."""
    base = zipfile.ZipFile(io.BytesIO(docx_bytes(["I have macros."])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in base.infolist():
            archive.writestr(item, base.read(item.filename))
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0fake VBA project")
    return out.getvalue()


def macro_odt() -> bytes:
    return odt_bytes("<text:p>Basic inside.</text:p>",
                     extra={"Basic/Standard/Module1.xml": b"<script:module>Sub Main</script:module>"})


def long_docx(pages: int) -> bytes:
    return docx_bytes([f"Paragraph {n}: " + "lorem ipsum dolor sit amet " * 30 for n in range(pages * 6)])


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
