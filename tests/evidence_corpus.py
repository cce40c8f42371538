"""A real-world-style evidence corpus, generated: forms from several producers, scans, active
content of every kind, attachments, broken and encrypted files, refused types, hostile names."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import awkward_pdfs as awkward
from . import office_files as office


def reportlab_form() -> bytes:
    """An AcroForm as ReportLab makes it (text field, check box, choice)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, invariant=1)
    c.drawString(72, 760, "Access review sign-off (ReportLab form)")
    form = c.acroForm
    form.textfield(name="reviewer", value="Grace Kim", x=72, y=700, width=200, height=20)
    form.checkbox(name="complete", checked=True, x=72, y=660, size=14)
    form.choice(name="result", value="Pass", options=["Pass", "Fail"], x=72, y=620, width=120, height=20)
    c.showPage()
    c.save()
    return buffer.getvalue()


def pikepdf_form_with_orphans() -> bytes:
    """Widgets made by hand: one listed in /AcroForm without an appearance (NeedAppearances),
    two orphans on the page that no /AcroForm field reaches, one with an appearance stream."""
    pdf = pikepdf.open(io.BytesIO(awkward.text_pdf(1, "pikepdf form")))
    page = pdf.pages[0]
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    resources = Dictionary(Font=Dictionary(Helv=font))
    listed = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("listed"),
        V=pikepdf.String("LISTEDVALUE"), Rect=Array([50, 600, 300, 620]), P=page.obj,
        DA=pikepdf.String("/Helv 10 Tf 0 g")))
    appearance = pdf.make_stream(b"BT /Helv 10 Tf 2 5 Td (ORPHANDRAWN) Tj ET",
                                 Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 250, 20]),
                                 Resources=resources)
    orphan = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("orphan"),
        V=pikepdf.String("ORPHANDRAWN"), Rect=Array([50, 560, 300, 580]), P=page.obj,
        AP=Dictionary(N=appearance), F=4))
    orphan_no_ap = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("orphan2"),
        V=pikepdf.String("SECONDORPHAN"), Rect=Array([50, 520, 300, 540]), P=page.obj,
        DA=pikepdf.String("/Helv 10 Tf 0 g")))
    page.obj.Annots = Array([listed, orphan, orphan_no_ap])
    pdf.Root.AcroForm = Dictionary(Fields=Array([listed]), DR=resources,
                                   DA=pikepdf.String("/Helv 10 Tf 0 g"))
    return awkward.save(pdf)


def fpdf2_active() -> bytes:
    """fpdf2 links and actions: a javascript: link, a Launch action, a file attachment
    annotation, and an http link that must stay."""
    from fpdf import FPDF
    from fpdf.actions import LaunchAction

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "fpdf2 page with links and actions")
    pdf.link(10, 30, 60, 10, "javascript:app.alert('hi')")
    pdf.link(10, 45, 60, 10, "https://example.org/policy")
    pdf.add_action(LaunchAction("calc.exe"), 10, 60, 60, 10)
    pdf.file_attachment_annotation(_payload(), 10, 80, 10, 10)
    return bytes(pdf.output())


_PAYLOAD_DIR: list[Path] = []


def _payload() -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="isms-corpus-"))
    _PAYLOAD_DIR.append(folder)
    path = folder / "invoice.exe"
    path.write_bytes(b"MZ\x90\x00 not really an executable")
    return path


def pikepdf_active() -> bytes:
    """Every kind of active content pikepdf can plant: document and page JavaScript, an open
    action, file://, UNC and javascript: links, a mailto link (kept), SubmitForm / ImportData
    actions, a widget with keystroke/calculate scripts, XFA, a document-level embedded file."""
    pdf = pikepdf.open(io.BytesIO(awkward.text_pdf(2, "active content")))
    js = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    pdf.Root.OpenAction = js
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([pikepdf.String("init"), js])))
    pdf.Root.Names.EmbeddedFiles = pikepdf.NameTree.new(pdf).obj
    pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)["dropper.exe"] = pikepdf.AttachedFileSpec(
        pdf, b"MZ payload", filename="dropper.exe").obj
    page = pdf.pages[0]
    page.obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.beep(0)")))

    def link(y: int, action: Dictionary) -> pikepdf.Object:
        return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link,
                                            Rect=Array([50, y, 300, y + 20]), A=action))

    links = [link(700, Dictionary(S=Name.URI, URI=pikepdf.String("file:///etc/passwd"))),
             link(670, Dictionary(S=Name.URI, URI=pikepdf.String("\\\\evil-server\\share\\x.exe"))),
             link(640, Dictionary(S=Name.URI, URI=pikepdf.String("javascript:alert(1)"))),
             link(610, Dictionary(S=Name.URI, URI=pikepdf.String("mailto:isms@example.org"))),
             link(580, Dictionary(S=Name.Launch, F=pikepdf.String("cmd.exe"))),
             link(550, Dictionary(S=Name.ImportData, F=pikepdf.String("data.fdf"))),
             link(520, Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]),
                                  Next=Dictionary(S=Name.JavaScript, JS=pikepdf.String("x()"))))]
    button = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Btn, Ff=65536, T=pikepdf.String("send"),
        Rect=Array([350, 700, 450, 720]), P=page.obj,
        A=Dictionary(S=Name.SubmitForm, F=pikepdf.String("https://example.org/collect")),
        AA=Dictionary(K=Dictionary(S=Name.JavaScript, JS=pikepdf.String("AFNumber_Keystroke()")),
                      C=Dictionary(S=Name.JavaScript, JS=pikepdf.String("AFSimple_Calculate()")))))
    page.obj.Annots = Array([*links, button])
    pdf.Root.AcroForm = Dictionary(Fields=Array([button]), XFA=pdf.make_stream(b"<xdp/>"))
    return awkward.save(pdf)


def scan_pdf(pages: int, quality: int = 30) -> bytes:
    """A4 pages scanned at 300 dpi: one JPEG per page, no text layer (Pillow's PDF writer)."""
    from PIL import Image, ImageDraw

    images = []
    for n in range(pages):
        image = Image.new("L", (2480, 3508), 235)
        draw = ImageDraw.Draw(image)
        for y in range(300, 3300, 80):
            draw.line([(200, y), (2280, y)], fill=40 + n, width=3)
        images.append(image.convert("RGB"))
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=300.0,
                   quality=quality)
    return buffer.getvalue()


def huge_png_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG that claims 50,000 × 50,000 pixels (the header is enough to refuse it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def jpeg(size: tuple[int, int] = (1200, 800)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def pdf_with_attachment_annotation() -> bytes:
    pdf = pikepdf.open(io.BytesIO(awkward.text_pdf(1, "attachment annotation")))
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ evil", filename="readme.pdf\u202eexe.scr")
    annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment,
                                         Rect=Array([50, 700, 70, 720]), FS=spec.obj,
                                         Contents=pikepdf.String("open me")))
    pdf.pages[0].obj.Annots = Array([annot])
    return awkward.save(pdf)


def hidden_files_and_scripted_form() -> bytes:
    """Embedded files where a names-tree check does not look (a page's /AF, a stamp
    annotation's /FS, a private key of a note), a pop-up whose parent runs JavaScript, and a
    fillable field with a keystroke, a format and a validate script (its original travels as an
    attachment: it must be the copy without them)."""
    pdf = pikepdf.open(io.BytesIO(awkward.text_pdf(2, "hidden files")))
    page = pdf.pages[0]

    def spec(name: str) -> pikepdf.Object:
        return pikepdf.AttachedFileSpec(pdf, b"MZ hidden " + name.encode(), filename=name).obj

    page.obj.AF = Array([spec("page-af.exe")])
    stamp = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Stamp, Rect=Array([50, 600, 150, 650]),
                                         FS=spec("stamp-fs.exe"), Name=Name.Approved))
    parent = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=Array([50, 550, 70, 570]),
                                          Private=Dictionary(Payload=spec("private.exe")),
                                          A=Dictionary(S=Name.JavaScript, JS=pikepdf.String("pop()"))))
    popup = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Popup, Rect=Array([80, 500, 200, 560]),
                                         Parent=parent))
    script = {key: Dictionary(S=Name.JavaScript, JS=pikepdf.String(f"{key}()")) for key in ("K", "F", "V")}
    field = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("amount"), V=pikepdf.String("12"),
        Rect=Array([300, 700, 450, 720]), P=page.obj, AA=Dictionary(**script)))
    page.obj.Annots = Array([stamp, popup, field])
    pdf.pages[1].obj.AF = Array([spec("second-page.exe")])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), NeedAppearances=True)
    return awkward.save(pdf)


# (evidence id, file name, maker(tmp) -> bytes, expected: "included" | "refused" | "broken")
CORPUS = [
    ("EV-RL", "forms/reportlab-form.pdf", lambda t: reportlab_form(), "included"),
    ("EV-PK", "forms/pikepdf-orphans.pdf", lambda t: pikepdf_form_with_orphans(), "included"),
    ("EV-LO", "forms/libreoffice-form.odt", office.form_odt, "included"),
    ("EV-FP", "active/fpdf2-actions.pdf", lambda t: fpdf2_active(), "included"),
    ("EV-ACT", "active/everything.pdf", lambda t: pikepdf_active(), "included"),
    ("EV-ANN", "active/attachment-annotation.pdf", lambda t: pdf_with_attachment_annotation(), "included"),
    ("EV-HID", "active/hidden-files.pdf", lambda t: hidden_files_and_scripted_form(), "included"),
    ("EV-SCAN", "scans/scan-3-pages.pdf", lambda t: scan_pdf(3), "included"),
    ("EV-JPG", "scans/photo.jpg", lambda t: jpeg(), "included"),
    ("EV-SIG", "signed/signed.pdf", awkward.signed_pdf, "included"),
    ("EV-CSV", "exports/pay\u202eslx.csv", lambda t: b"name,amount\nA,1\n", "included"),
    ("EV-NFD", "exports/Pru\u0308fbericht.txt", lambda t: b"plain text\n", "included"),
    ("EV-TRUNC", "broken/truncated.pdf", lambda t: awkward.truncated(), "included"),
    ("EV-JUNK", "broken/junk.pdf", lambda t: b"%PDF-1.7\n" + bytes(range(256)) * 8, "broken"),
    ("EV-ZERO", "broken/zero.pdf", lambda t: awkward.zero_pages(), "broken"),
    ("EV-PW", "broken/password.pdf", lambda t: awkward.encrypted("secret"), "broken"),
    ("EV-OWN", "broken/owner-only.pdf", lambda t: awkward.encrypted(""), "included"),
    ("EV-BIG", "images/huge.png", lambda t: huge_png_header(), "refused"),
    ("EV-EXE", "refused/tool.exe", lambda t: b"MZ\x90\x00", "refused"),
    ("EV-JS", "refused/script.js", lambda t: b"alert(1)", "refused"),
    ("EV-HTML", "refused/page.html", lambda t: b"<script>alert(1)</script>", "refused"),
    ("EV-SVG", "refused/drawing.svg", lambda t: b"<svg onload='alert(1)'/>", "refused"),
    ("EV-DOCM", "refused/macro.docm", lambda t: office.macro_docx(), "refused"),
    ("EV-VBA", "refused/hidden-macro.docx", lambda t: office.macro_docx(), "refused"),
    ("EV-BAS", "refused/basic.odt", lambda t: office.macro_odt(), "refused"),
    ("EV-FAKE", "refused/fake.pdf", lambda t: b"MZ\x90\x00 an exe named .pdf", "refused"),
]
