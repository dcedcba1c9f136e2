"""Documents of every format, built at test time with the libraries that
write them (reportlab, python-docx), so no binary fixture is checked in.

Each holds a fact on a known page or in a known place, and the clutter a
reader must leave out: running headers and footers, page numbers,
navigation, scripts.
"""

from __future__ import annotations

import io
import zipfile

PDF_PAGES = [
    # (section heading, paragraphs) per page; the facts asked about are on page 2.
    ("1 Introduction 简介", [
        "The Harbor Office manual explains how visitors register at the front desk and how "
        "staff badges are issued by the security team every morning.",
        "港务办公室的手册说明了访客如何在前台登记，以及安保团队每天早上如何发放员工证件。",
    ]),
    ("2 Opening hours 开放时间", [
        "The archive reading room opens at 7:45 on weekdays and closes at noon on Saturdays. Visitors "
        "must reserve a seat two days in advance through the registry desk, which keeps a waiting list.",
        "档案阅览室的押金是三百二十元，离馆时全额退还。阅览室每天最多接待四十八位读者，"
        "读者须凭有效证件入馆，馆内禁止饮食和使用闪光灯拍照，复印资料须经管理员同意并登记。",
    ]),
    ("3 Contacts 联系方式", [
        "Questions about invoices go to the finance team, which answers within three working days.",
        "如有投诉，请联系客户服务部，我们会在五个工作日内答复。",
    ]),
]
PDF_HEADER = "Harbor Office Manual 港务手册"
PDF_FOOTER = "Confidential - internal use"


def pdf_bytes(pages=PDF_PAGES, *, header: str = PDF_HEADER, footer: str = PDF_FOOTER, encrypt: str | None = None) -> bytes:
    """A PDF with a text layer, Chinese and English, one section per page,
    with a running header, footer and page number on every page. The Chinese
    font is reportlab's built-in CID font, so no font file is needed."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=15, spaceAfter=12, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20, spaceAfter=14)

    def decorate(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        width, height = A4
        canvas.drawString(72, height - 40, header)
        canvas.drawString(72, 30, footer)
        canvas.drawRightString(width - 72, 30, str(document.page))
        canvas.restoreState()

    story = []
    for number, (heading, paragraphs) in enumerate(pages):
        if number:
            story.append(PageBreak())
        story.append(Paragraph(heading, title))
        story += [Paragraph(p, body) for p in paragraphs]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, encrypt=encrypt).build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def scanned_pdf_bytes() -> bytes:
    """A PDF whose pages are only drawings: no text layer, as from a scanner."""
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    for _ in range(2):
        canvas.rect(72, 72, 300, 500, fill=1)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def docx_bytes() -> bytes:
    """A Word document with headings, a list and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Equipment Handbook 设备手册", level=1)
    document.add_paragraph("This handbook lists the equipment of the Harbor Office and who looks after it.")
    document.add_heading("Loan rules", level=2)
    document.add_paragraph("Bring your staff badge.", style="List Bullet")
    document.add_paragraph("Return equipment within a week.", style="List Bullet")
    document.add_heading("Inventory 清单", level=2)
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Item", "Room", "Keeper"]):
        cell.text = text
    for row in [("Projector", "B12", "Alice Moreau"), ("Microscope", "C7", "Wei Zhang"), ("投影仪", "D3", "王芳")]:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry timetable</title>
<style>body { font-family: sans-serif } .nav { color: red }</style>
<script>var tracking = "ferry tickets cost nothing"; function menu() {}</script>
</head><body>
<header><div class="logo">Harbor City</div></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/contact">Contact us</a></li></ul></nav>
<div class="breadcrumb"><a href="/">Home</a> &gt; Transport</div>
<main>
<h1>Ferry timetable 渡轮时刻表</h1>
<p>The island ferry leaves the north pier every forty minutes from 6:20 until midnight.</p>
<h2>Fares 票价</h2>
<p>A single crossing costs 4.50 euros; children under twelve travel free.</p>
<p>渡轮单程票价为十二元，学生半价。</p>
<ul><li>Bicycles are carried on the lower deck.</li><li>Dogs must be kept on a lead.</li></ul>
</main>
<aside class="sidebar"><h3>Related</h3><p>Read our cookie policy.</p></aside>
<footer><p>© 2026 Harbor City Council. All rights reserved.</p></footer>
<script>menu();</script>
</body></html>
"""


def html_bytes() -> bytes:
    return HTML_PAGE.encode("utf-8")


def zip_bomb_docx(uncompressed: int = 200_000_000) -> bytes:
    """A DOCX whose document.xml claims to unpack to `uncompressed` bytes of
    zeros: the archive is a few MB at most, the content far more."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(uncompressed // len(chunk)):
                member.write(chunk)
    return out.getvalue()
