"""The loader: each format becomes text; each kind of bad file is refused with its name and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import errors
from rag.loader import Limits, load_file
from tests.rag.files import docx_bytes, pdf_bytes, write


def test_load_txt_keeps_the_text(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "First paragraph.\n\nSecond — with UTF-8 ✓.")
    (section,) = load_file(path)
    assert section.text == "First paragraph.\n\nSecond — with UTF-8 ✓."


def test_load_txt_reads_utf16_and_drops_a_utf8_bom(tmp_path: Path) -> None:
    utf16 = write(tmp_path, "wide.txt", "Grüße".encode("utf-16"))
    bom = write(tmp_path, "bom.txt", b"\xef\xbb\xbfHello")
    assert load_file(utf16)[0].text == "Grüße"
    assert load_file(bom)[0].text == "Hello"


def test_load_markdown_cuts_at_headings(tmp_path: Path) -> None:
    path = write(tmp_path, "guide.md", "Intro.\n\n# Setup\n\nInstall it.\n\n## Linux\n\nUse apt.\n")
    sections = load_file(path)
    assert [s.text for s in sections] == [
        "Intro.",
        "# Setup\n\nInstall it.",
        "## Linux\n\nUse apt.",
    ]
    assert sections[2].metadata["heading"] == "/Setup/"


def test_load_html_keeps_visible_text_only(tmp_path: Path) -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head>"
        "<body><h1>Title</h1><p>Body text.</p><script>alert(1)</script></body></html>"
    )
    (section,) = load_file(write(tmp_path, "page.html", html))
    assert section.text == "Title\nBody text."
    (fragment,) = load_file(write(tmp_path, "frag.htm", "<p>Just a <b>fragment</b></p>"))
    assert "Just a" in fragment.text
    assert "fragment" in fragment.text


def test_load_csv_joins_cells_row_by_row(tmp_path: Path) -> None:
    (section,) = load_file(write(tmp_path, "table.csv", "name;age\nAda;36\nAlan;41\n"))
    assert section.text == "name, age\nAda, 36\nAlan, 41"


def test_load_json_lists_the_values(tmp_path: Path) -> None:
    data = {"product": "Weft", "features": ["RAG", "agents"]}
    (section,) = load_file(write(tmp_path, "data.json", json.dumps(data)))
    assert '"product": "Weft"' in section.text
    assert '"RAG"' in section.text


def test_load_pdf_gives_a_section_per_page(tmp_path: Path) -> None:
    path = write(tmp_path, "paper.pdf", pdf_bytes(["Page one text", "Page two text"]))
    sections = load_file(path)
    assert [s.text.strip() for s in sections] == ["Page one text", "Page two text"]
    assert [s.metadata["page"] for s in sections] == ["1", "2"]


def test_load_docx_reads_the_paragraphs(tmp_path: Path) -> None:
    (section,) = load_file(
        write(tmp_path, "memo.docx", docx_bytes(["Hello from Word.", "Second paragraph."]))
    )
    assert "Hello from Word." in section.text
    assert "Second paragraph." in section.text


def test_load_uses_the_name_shown_to_people(tmp_path: Path) -> None:
    path = write(tmp_path, "upload-7f3a", "")
    with pytest.raises(errors.EmptyFileError, match=r"^Quarterly report\.txt: the file is empty$"):
        load_file(path, name="Quarterly report.txt")


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        ("empty.txt", b"", errors.EmptyFileError, "the file is empty"),
        ("blank.md", b"  \n\n \n", errors.EmptyFileError, "no text could be read"),
        (
            "latin1.txt",
            "café".encode("latin-1"),
            errors.WrongEncodingError,
            "not UTF-8 text (byte 0xe9 at position 3)",
        ),
        ("binary.txt", b"abc\x00def", errors.WrongEncodingError, "NUL bytes"),
        ("photo.png", b"\x89PNG", errors.UnsupportedFileTypeError, "cannot read .png"),
        (
            "broken.pdf",
            b"%PDF-1.4 this is not really a pdf",
            errors.CorruptFileError,
            "damaged or not a pdf",
        ),
        ("fake.docx", b"PK not a zip", errors.CorruptFileError, "damaged or not a Word document"),
        (
            "bad.json",
            b'{"a": 1,,}',
            errors.CorruptFileError,
            "not valid JSON: Expecting property name",
        ),
    ],
)
def test_load_refuses_a_bad_file_naming_it(
    tmp_path: Path, name: str, data: bytes, error: type[errors.DocumentError], words: str
) -> None:
    with pytest.raises(error) as caught:
        load_file(write(tmp_path, name, data))
    assert caught.value.file == name
    assert str(caught.value).startswith(f"{name}: ")
    assert words in str(caught.value)


def test_load_refuses_an_encrypted_pdf(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.pdf", pdf_bytes(["Top secret"], password="hunter2"))
    with pytest.raises(errors.EncryptedFileError, match="password-protected"):
        load_file(path)


def test_load_reads_a_pdf_locked_only_against_editing(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.pdf", pdf_bytes(["Readable text"], password=""))
    assert load_file(path)[0].text.strip() == "Readable text"


def test_load_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 2048)
    with pytest.raises(
        errors.FileTooLargeError,
        match=r"big\.txt: the file is 2\.0 KiB, over the limit of 1\.0 KiB",
    ):
        load_file(path, limits=Limits(max_bytes=1024))


def test_load_refuses_a_zip_bomb(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.docx", docx_bytes(["hi"], padding=50 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    with pytest.raises(errors.ArchiveBombError, match=r"bomb\.docx: the file unpacks to 50\.0 MiB"):
        load_file(path, limits=Limits(max_unpacked_bytes=10 * 1024 * 1024))
