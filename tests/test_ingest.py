from pathlib import Path

import pytest

from retrieval.errors import InputError
from retrieval.formats import Block
from retrieval.ingest import Document, decode_text, find_documents, read_document, split_passages
from retrieval.sentences import split_sentences

from .conftest import SAMPLE


def passages_of(text: str, name: str = "doc.txt", **kw):
    return split_passages(Document(name, text), **kw)


def test_sample_corpus_paragraphs_sections_and_offsets():
    text = SAMPLE.read_text(encoding="utf-8")
    passages = passages_of(text)
    # 53 indentation-separated pieces: 6 heading lines (sections of the
    # paragraphs after them) and one "…………" are not passages.
    assert [p.paragraph for p in passages] == list(range(1, 47))
    assert not any(p.text.strip("…") == "" for p in passages)
    by_start = {p.text[:10]: p for p in passages}
    assert by_start["加强党性修养是党员、"].section.startswith("在锤炼党性上力行")
    assert by_start["江西省上犹县一个小山"].section is None
    assert "在锤炼党性上力行" not in {p.text for p in passages}
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert not p.text.startswith("\u3000")
    assert len({p.id for p in passages}) == len(passages)


def test_blank_line_paragraphs_join_hard_wrapped_lines_and_markdown_headings():
    text = "# Guide\n\nFirst line of a paragraph\nthat wraps here.\n\nSecond paragraph.\n\n## Details\n\n中文第一行\n接着第二行。\n"
    passages = passages_of(text, "guide.md")
    assert [p.text for p in passages] == [
        "First line of a paragraph that wraps here.",
        "Second paragraph.",
        "中文第一行接着第二行。",
    ]
    assert [p.section for p in passages] == ["Guide", "Guide", "Details"]
    assert [p.paragraph for p in passages] == [1, 2, 3]


def test_short_lines_of_a_manual_are_facts_and_no_heading_is_lost():
    passages = passages_of("Router X100\nDefault password: admin\nPort: 8080\n默认端口：8080\nReset\n")
    # A heading that labels no paragraph (here the last line) is a passage itself.
    assert [(p.text, p.section, p.paragraph) for p in passages] == [
        ("Default password: admin", "Router X100", 1),
        ("Port: 8080", "Router X100", 2),
        ("默认端口：8080", "Router X100", 3),
        ("Reset", "Reset", 4),
    ]
    word_headings = split_passages(Document("h.docx", "", (Block("A", 1), Block("B", 2), Block("C", 2), Block("c.", 0))))
    assert [(p.text, p.section) for p in word_headings] == [("B", "A — B"), ("c.", "A — C")]


def test_one_paragraph_per_line_when_there_are_no_blank_lines():
    passages = passages_of("第一段内容在这里。\n第二段内容在这里。\n")
    assert [p.text for p in passages] == ["第一段内容在这里。", "第二段内容在这里。"]


def test_long_paragraph_is_split_at_sentence_ends_keeping_its_number():
    sentences = [f"这是第{i}个句子，用来测试长段落的切分。" for i in range(40)]
    text = "短段落。\n" + "".join(sentences) + "\n"
    passages = passages_of(text, max_tokens=60, count_tokens=len, overlap_sentences=1)
    long_parts = [p for p in passages if p.paragraph == 2]
    assert len(long_parts) > 3
    assert all(len(p.text) <= 60 for p in long_parts)
    assert all(p.text.endswith("。") for p in long_parts)
    # Overlap: each piece starts with the last sentence of the previous one.
    for before, after in zip(long_parts, long_parts[1:]):
        assert split_sentences(before.text)[-1] == split_sentences(after.text)[0]
    assert len({p.id for p in long_parts}) == len(long_parts)
    covered = "".join(split_sentences(long_parts[0].text))
    assert covered.startswith(sentences[0])


def test_sentence_splitting_keeps_decimals_and_quotes():
    assert split_sentences("共营救3.5万余人。他说：“好！”然后离开. Next one? Yes.") == [
        "共营救3.5万余人。",
        "他说：“好！”",
        "然后离开.",
        "Next one?",
        "Yes.",
    ]


def test_gb18030_is_detected_and_named_encodings_are_honoured(tmp_path: Path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("　　江苏省灌南县建立医保服务站。　　第二段。".encode("gbk"))
    doc = read_document("gbk.txt", path, max_bytes=10_000)
    assert doc.text.startswith("　　江苏省灌南县")
    assert read_document("gbk.txt", path, encoding="gbk", max_bytes=10_000).text == doc.text
    with pytest.raises(InputError, match="not a text file|encoding"):
        read_document("gbk.txt", path, encoding="utf-8", max_bytes=10_000)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"  \n\n \t", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a text file"),
        (bytes(range(1, 32)) * 50, "not a text file"),
    ],
)
def test_empty_and_binary_input_is_refused_clearly(data: bytes, message: str):
    with pytest.raises(InputError, match=message):
        decode_text(data, source="x.txt")


def test_huge_files_are_refused(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_text("字" * 5000, encoding="utf-8")
    with pytest.raises(InputError, match="too large"):
        read_document("big.txt", path, max_bytes=1000)


def test_finding_documents(tmp_path: Path):
    (tmp_path / "a.txt").write_text("A.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("B.", encoding="utf-8")
    (tmp_path / "sub" / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("H.", encoding="utf-8")
    (tmp_path / "sub" / "d.png").write_bytes(b"\x89PNG")
    found = find_documents([tmp_path])
    assert [name for name, _ in found.files] == ["a.txt", "sub/b.md", "sub/c.pdf"]
    assert [(Path(file).name, reason.split(" (")[0]) for file, reason in found.skipped] == [
        ("d.png", "unsupported file type")
    ]
    with pytest.raises(InputError, match="no such file"):
        find_documents([tmp_path / "missing"])
    assert find_documents([tmp_path / "sub" / "d.png"]).skipped[0][1].startswith("unsupported file type")


@pytest.mark.parametrize("encoding", ["auto", "utf-16"])
def test_utf16_with_a_byte_order_mark_is_read_with_or_without_naming_it(encoding: str):
    text = "　　第一段文字，UTF-16 编码。\n"
    assert decode_text(text.encode("utf-16"), encoding=encoding) == text
    assert decode_text(text.encode("utf-16-le"), encoding="utf-16-le") == text


def test_an_initial_or_a_semicolon_in_brackets_does_not_end_a_sentence_of_the_answer_but_its_clauses_stay():
    from retrieval.sentences import clause_spans, sentence_pieces

    text = "The Normans (Norman: Nourmands; French: Normands) were a people. Andrew W. Mellon paid. 蓍（又名锯草；羽衣草）是草本植物。根状茎匍匐；叶互生。"
    sentences = [text[s[0][0] : s[-1][1]] for s in sentence_pieces(text)]
    assert sentences == [
        "The Normans (Norman: Nourmands; French: Normands) were a people.",
        "Andrew W. Mellon paid.",
        "蓍（又名锯草；羽衣草）是草本植物。",
        "根状茎匍匐；",
        "叶互生。",
    ]
    # The clauses, whose vectors the index stores, are those of the places a passage may be cut.
    assert [span for s in sentence_pieces(text) for span in s] == [span for s in clause_spans(text) for span in s]
