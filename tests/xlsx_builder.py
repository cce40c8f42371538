"""Hand-made minimal .xlsx files, for inputs no spreadsheet program would write."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{sheets}
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
SHEET_CT = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def sheet_xml(rows: Iterable[str]) -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode()
    for row in rows:
        yield row.encode()
    yield b"</sheetData></worksheet>"


def inline_row(r: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{r}">{cells}</row>'


def minimal_xlsx(sheets: dict[str, Iterable[str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        names = list(sheets)
        zf.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            sheets="".join(SHEET_CT.format(n=i + 1) for i in range(len(names)))))
        zf.writestr("_rels/.rels", ROOT_RELS)
        book = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                       for i, n in enumerate(names))
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} '
                    f'{RNS}><sheets>{book}</sheets></workbook>')
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(names)))
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?>'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships">{rels}</Relationships>')
        for i, name in enumerate(names):
            with zf.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as fh:
                for chunk in sheet_xml(sheets[name]):
                    fh.write(chunk)
    return out.getvalue()
