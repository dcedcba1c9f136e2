"""PDF, Word and web pages: what each reader keeps and leaves out, the page
and section every passage carries, questions answered from each format, and
a clear message for every file that cannot be read."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from retrieval.errors import InputError
from retrieval.formats import sniff
from retrieval.formats.pdf import join_lines
from retrieval.ingest import document_from_bytes, split_passages

from . import documents
from .test_cli import citebot


def passages(name: str, data: bytes):
    return split_passages(document_from_bytes(name, data))


def test_pdf_passages_keep_their_page_and_section_and_lose_running_headers():
    document = document_from_bytes("manual.pdf", documents.pdf_bytes())
    assert document.pages == 3
    assert document.skipped == ("6 running header/footer lines",)
    found = split_passages(document)
    texts = [p.text for p in found]
    assert not any(documents.PDF_HEADER in t or documents.PDF_FOOTER in t for t in texts)
    assert not any(t.strip().isdigit() for t in texts)
    deposit = next(p for p in found if "押金" in p.text)
    assert (deposit.page, deposit.section) == (2, "2 Opening hours 开放时间")
    # The Chinese paragraph wraps over several printed lines; they are joined
    # without spaces, the English ones with one.
    assert " " not in deposit.text and deposit.text.endswith("复印资料须经管理员同意并登记。")
    opening = next(p for p in found if "Visitors must reserve a seat" in p.text)
    assert (opening.page, opening.section) == (2, "2 Opening hours 开放时间")
    assert [p.page for p in found if p.section == "3 Contacts 联系方式"] == [3, 3]


def test_numbered_headings_atop_every_page_are_not_taken_for_running_headers():
    pages = [(f"Chapter {n} Rules", [f"Rule text number {n} for the harbor office."]) for n in (4, 7, 9)]
    found = passages("rules.pdf", documents.pdf_bytes(pages, header="Page header", footer="Page footer"))
    assert [(p.section, p.page) for p in found] == [("Chapter 4 Rules", 1), ("Chapter 7 Rules", 2), ("Chapter 9 Rules", 3)]


def test_pdf_lines_are_joined_across_hyphens_and_without_spaces_in_cjk():
    assert join_lines(["an inter-", "national office"]) == "an international office"
    assert join_lines(["a well-", "Known name"]) == "a well- Known name"
    assert join_lines(["档案阅览室的押金是三百", "二十元。"]) == "档案阅览室的押金是三百二十元。"
    assert join_lines(["opens at", "7:45."]) == "opens at 7:45."


def test_a_bare_page_number_is_dropped_even_on_a_single_page():
    pages = [("Intro", ["The only page, about the harbor office."])]
    document = document_from_bytes("short.pdf", documents.pdf_bytes(pages, header="", footer=""))
    assert document.skipped == ("1 page number",)
    assert [(p.text, p.page, p.section) for p in split_passages(document)] == [
        ("The only page, about the harbor office.", 1, "Intro"),
    ]


def test_docx_headings_lists_and_tables():
    found = passages("handbook.docx", documents.docx_bytes())
    by_text = {p.text: p for p in found}
    assert by_text["Return equipment within a week."].section == "Equipment Handbook 设备手册 — Loan rules"
    table = next(p for p in found if p.text.startswith("Item | Room | Keeper"))
    assert table.text.splitlines()[2] == "Microscope | C7 | Wei Zhang"
    assert table.section == "Equipment Handbook 设备手册 — Inventory 清单"
    assert all(p.page is None for p in found)


def test_html_main_text_without_navigation_scripts_and_boilerplate():
    document = document_from_bytes("ferry.html", documents.html_bytes())
    texts = [p.text for p in split_passages(document)]
    assert texts[:2] == [
        "The island ferry leaves the north pier every forty minutes from 6:20 until midnight.",
        "A single crossing costs 4.50 euros; children under twelve travel free.",
    ]
    assert "Bicycles are carried on the lower deck." in texts
    joined = "\n".join(texts)
    for clutter in ("Contact us", "tracking", "font-family", "cookie", "All rights reserved", "Home"):
        assert clutter not in joined
    assert document.skipped and "navigation" in document.skipped[0]


def test_html_without_main_drops_marked_menus_and_reads_gbk_tables():
    page = (
        '<html><head><meta charset="gbk"></head><body><div id="topmenu"><a>首页</a> | <a>新闻</a></div>'
        "<div class='content'><h2>路由器设置</h2><div>默认密码：admin</div><div>端口：8080</div>"
        "<table><tr><th>型号</th><th>价格</th></tr><tr><td>R1</td><td>199元</td></tr></table></div>"
        "<div class='footer'>版权所有</div></body></html>"
    )
    found = passages("router.html", page.encode("gbk"))
    assert [p.text for p in found] == ["默认密码：admin", "端口：8080", "型号 | 价格\nR1 | 199元"]
    assert {p.section for p in found} == {"路由器设置"}


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("locked.pdf", lambda: documents.pdf_bytes(encrypt="secret"), "encrypted with a password"),
        ("scan.pdf", documents.scanned_pdf_bytes, "no text layer (it looks scanned); citebot does not do OCR"),
        ("cut.pdf", lambda: documents.pdf_bytes()[:3000], "truncated or damaged"),
        ("cut.docx", lambda: documents.docx_bytes()[:5000], "damaged or truncated"),
        ("bomb.docx", documents.zip_bomb_docx, "zip bomb"),
        ("really-docx.pdf", documents.docx_bytes, "the name says a PDF but the file is a Word document (DOCX); rename it"),
        ("really-pdf.docx", documents.pdf_bytes, "the name says a Word document (DOCX) but the file is a PDF"),
        ("really-pdf.txt", documents.pdf_bytes, "the file is a PDF; rename it to end in .pdf"),
        ("zip.docx", lambda: _zip({"a.txt": "x"}), "ZIP archive"),
        ("nul.txt", lambda: b"abc\x00def", "not a text file"),
        ("photo.png", lambda: b"\x89PNG", "unsupported file type"),
    ],
)
def test_each_bad_file_gets_a_message_that_says_what_to_do(name, make, message):
    with pytest.raises(InputError, match=None) as caught:
        document_from_bytes(name, make())
    assert message in str(caught.value) and str(caught.value).startswith(name)


def test_a_pdf_with_only_an_owner_password_is_read():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(documents.pdf_bytes())))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    assert any("押金" in p.text for p in passages("owner.pdf", out.getvalue()))


def test_sniffing_tells_formats_apart():
    assert sniff(documents.pdf_bytes()) == "pdf"
    assert sniff(documents.docx_bytes()) == "docx"
    assert sniff(documents.html_bytes()) == "html"
    assert sniff("文字".encode("utf-16")) == "text"


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


# ------------------------------------------------------- answered, end to end


def test_questions_are_answered_from_each_format_with_document_page_and_section(embedder, make_engine):
    engine = make_engine({})
    engine.add_file("manual.pdf", documents.pdf_bytes())
    engine.add_file("handbook.docx", documents.docx_bytes())
    engine.add_file("ferry.html", documents.html_bytes())
    engine.add_file("router.txt", "Router X100\nDefault password: admin\nPort: 8080\n".encode())
    assert {d.name: d.pages for d in engine.documents()} == {
        "manual.pdf": 3, "handbook.docx": None, "ferry.html": None, "router.txt": None,
    }

    def cited(question: str):
        answer = engine.answer(question)
        assert not answer.abstained, question
        top = answer.citations[0]
        return answer.answer, top.document, top.page, top.section

    short, *where = cited("档案阅览室的押金是多少？")
    assert where == ["manual.pdf", 2, "2 Opening hours 开放时间"] and "三百二十元" in short
    assert cited("What time does the archive reading room open on weekdays?")[1:] == (
        "manual.pdf", 2, "2 Opening hours 开放时间",
    )
    short, *where = cited("Who keeps the microscope?")
    assert where == ["handbook.docx", None, "Equipment Handbook 设备手册 — Inventory 清单"] and "Wei Zhang" in short
    short, *where = cited("How much is a single ferry crossing?")
    assert where == ["ferry.html", None, "Ferry timetable 渡轮时刻表 — Fares 票价"] and "4.50 euros" in short
    short, *where = cited("What port does it use?")
    assert where[0] == "router.txt" and "8080" in short
    # A heading is searchable: its words lead to the first passage under it.
    assert engine.search("Router X100", k=1)[0].passage.text == "Default password: admin"
    answer = engine.answer("档案阅览室的押金是多少？").to_dict()
    assert answer["citations"][0]["page"] == 2


@pytest.mark.slow
def test_a_folder_with_bad_files_indexes_the_good_ones_and_keeps_the_index(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "router.txt").write_text("Router X100\nDefault password: admin\nPort: 8080\n")
    index = tmp_path / "index"
    first = citebot("index", str(folder), index=index)
    assert first.returncode == 0, first.stderr
    bad = {
        "locked.pdf": documents.pdf_bytes(encrypt="secret"),
        "scan.pdf": documents.scanned_pdf_bytes(),
        "cut.pdf": documents.pdf_bytes()[:3000],
        "cut.docx": documents.docx_bytes()[:5000],
        "bomb.docx": documents.zip_bomb_docx(),
        "huge.html": b"<html><body>" + b"<p>big page</p>" * 3_500_000 + b"</body></html>",
        "lies.pdf": documents.docx_bytes(),
        "nul.txt": b"abc\x00def",
        "empty.md": b"",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / "router.txt").write_bytes(b"\x00broken now")  # the indexed copy went bad
    (folder / "manual.pdf").write_bytes(documents.pdf_bytes())
    (folder / "ferry.html").write_bytes(documents.html_bytes())
    second = citebot("index", "--prune", str(folder), index=index)
    assert second.returncode == 3, second.stderr
    skipped = [line for line in second.stderr.splitlines() if line.startswith("citebot: skipped ")]
    assert sorted(line.split(": ")[1].rsplit("/", 1)[1] for line in skipped) == sorted([*bad, "router.txt"])
    assert any("huge.html: file is too large" in line for line in skipped)
    assert "indexed 2 documents" in second.stdout and "10 files skipped" in second.stdout
    assert "manual.pdf: left out 6 running header/footer lines" in second.stdout
    # The unreadable router.txt kept its indexed version, even under --prune.
    listed = json.loads(citebot("ask", "What port does it use?", "--json", index=index).stdout)
    assert listed["citations"][0]["document"] == "router.txt" and "8080" in listed["answer"]
