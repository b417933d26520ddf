"""Files → sections of text: txt, md, html, pdf, docx, csv, json, with a clear error for bad ones.

pdf and docx go through llama-index's readers (pypdf, docx2txt) after checks of our own (encrypted,
damaged, zip bomb); markdown is cut at its headings by llama-index's MarkdownNodeParser. The text
formats are decoded here, strictly, so that a file in the wrong encoding is refused with a reason
instead of read as mojibake (llama-index's flat readers open files in the platform's encoding).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag import errors
from rag.types import Section

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a file may weigh, unpack to, and yield as text."""

    max_bytes: int = 15 * MiB  # Dify's default upload limit
    max_unpacked_bytes: int = 200 * MiB
    max_chars: int = 20_000_000


DEFAULT_LIMITS = Limits()
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".csv", ".json")


def load_file(
    path: Path, name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[Section]:
    """Read `path` (shown to people as `name`) into sections; raise a DocumentError naming it."""
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        kinds = ", ".join(s.lstrip(".") for s in SUFFIXES)
        raise errors.UnsupportedFileTypeError(
            name, f"cannot read {suffix or 'files without an extension'}; upload one of: {kinds}"
        )
    size = path.stat().st_size
    if size == 0:
        raise errors.EmptyFileError(name, "the file is empty")
    if size > limits.max_bytes:
        raise errors.FileTooLargeError(
            name, f"the file is {_mib(size)}, over the limit of {_mib(limits.max_bytes)}"
        )
    sections = _READERS[suffix](path, name, limits)
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise errors.EmptyFileError(name, "no text could be read from the file" + _hint(suffix))
    if sum(len(s.text) for s in sections) > limits.max_chars:
        raise errors.FileTooLargeError(
            name, f"the file holds more than {limits.max_chars:,} characters of text"
        )
    return sections


def decode_text(data: bytes, name: str) -> str:
    """A text file's bytes as str: UTF-8 (a BOM is dropped) or UTF-16 with a BOM, else an error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise errors.WrongEncodingError(name, "the file starts like UTF-16 but is not") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.WrongEncodingError(
            name,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start:,});"
            " save it as UTF-8 and upload it again",
        ) from exc
    if "\x00" in text:
        raise errors.WrongEncodingError(name, "the file holds NUL bytes: it looks binary, not text")
    return text


def _mib(size: int) -> str:
    return f"{size / MiB:.1f} MiB" if size >= MiB else f"{size / 1024:.1f} KiB"


def _hint(suffix: str) -> str:
    return " (a scanned pdf has only pictures of text)" if suffix == ".pdf" else ""


def _read_text(path: Path, name: str) -> str:
    return decode_text(path.read_bytes(), name)


def _load_txt(path: Path, name: str, limits: Limits) -> list[Section]:
    return [Section(_read_text(path, name))]


def _load_markdown(path: Path, name: str, limits: Limits) -> list[Section]:
    from llama_index.core.node_parser import MarkdownNodeParser
    from llama_index.core.schema import Document as LlamaDocument

    text = _read_text(path, name)
    nodes = MarkdownNodeParser().get_nodes_from_documents([LlamaDocument(text=text)])
    return [
        Section(n.get_content(), {"heading": n.metadata.get("header_path", "/")}) for n in nodes
    ]


def _load_html(path: Path, name: str, limits: Limits) -> list[Section]:
    # llama-index's HTMLTagReader keeps <script> text and drops pages without <body>.
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path, name), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return [Section("\n".join(line for line in lines if line))]


def _load_csv(path: Path, name: str, limits: Limits) -> list[Section]:
    rows = read_csv_rows(path, name)
    return [Section("\n".join(", ".join(row) for row in rows))]


def read_csv_rows(path: Path, name: str) -> list[list[str]]:
    """The rows of a csv file (sniffing `,` `;` or tab), decoded strictly."""
    text = _read_text(path, name)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise errors.CorruptFileError(name, f"not a readable csv file: {exc}") from exc


def _load_json(path: Path, name: str, limits: Limits) -> list[Section]:
    from llama_index.core.readers.json import JSONReader

    try:
        json.loads(_read_text(path, name))
    except json.JSONDecodeError as exc:
        raise errors.CorruptFileError(
            name, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    return [Section(d.text) for d in JSONReader(clean_json=True).load_data(str(path))]


def _load_pdf(path: Path, name: str, limits: Limits) -> list[Section]:
    import pypdf
    from llama_index.readers.file import PDFReader

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise errors.EncryptedFileError(
                name, "the pdf is password-protected; upload a copy without a password"
            )
        # __wrapped__: its @retry would parse a damaged file three times.
        docs = PDFReader.load_data.__wrapped__(PDFReader(), path)
    except errors.DocumentError:
        raise
    except pypdf.errors.FileNotDecryptedError as exc:
        raise errors.EncryptedFileError(
            name, "the pdf is password-protected; upload a copy without a password"
        ) from exc
    except pypdf.errors.LimitReachedError as exc:
        raise errors.ArchiveBombError(
            name, f"a stream in the pdf unpacks to too much data ({exc})"
        ) from exc
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise errors.CorruptFileError(name, f"the pdf is damaged or not a pdf ({exc})") from exc
    return [
        Section(d.text, {"page": d.metadata.get("page_label", str(i + 1))})
        for i, d in enumerate(docs)
    ]


def _load_docx(path: Path, name: str, limits: Limits) -> list[Section]:
    from llama_index.readers.file import DocxReader

    check_zip(path, name, limits)
    try:
        docs = DocxReader().load_data(path)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise errors.CorruptFileError(name, "the docx is damaged or not a Word document") from exc
    return [Section(d.text) for d in docs]


def check_zip(path: Path, name: str, limits: Limits) -> None:
    """Refuse a zip-based file that is damaged, encrypted or unpacks to over the limit."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise errors.CorruptFileError(
            name, "the file is damaged or not a Word document (.docx)"
        ) from exc
    if any(info.flag_bits & 0x1 for info in infos):
        raise errors.EncryptedFileError(
            name, "the document is password-protected; upload a copy without a password"
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise errors.ArchiveBombError(
            name,
            f"the file unpacks to {_mib(unpacked)},"
            f" over the limit of {_mib(limits.max_unpacked_bytes)}",
        )


Reader = Callable[[Path, str, Limits], list[Section]]
_READERS: dict[str, Reader] = {
    ".txt": _load_txt,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".csv": _load_csv,
    ".json": _load_json,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
