"""Request and response bodies of the HTTP API.

Limits that depend on settings (question length, `top_k` ceiling) are checked
in the endpoints; what is fixed for every deployment is declared here so that
it shows up in the OpenAPI schema.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any, NoReturn

from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, TypeAdapter, ValidationError

from retrieval.document_names import check_visible
from retrieval.errors import InputError
from retrieval.types import DocumentInfo, Hit, IndexInfo

MAX_DOCUMENT_NAME_CHARS = 200
# Follow-up resolution only looks at the last few turns; more is wasted bytes.
MAX_HISTORY_TURNS = 20


def _encodable(value: str) -> str:
    # JSON allows "\ud800" escapes, which decode to lone surrogates that can be
    # neither embedded nor written back out as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it contains a lone surrogate)") from None
    return value


def _valid_document_name(name: str) -> str:
    if name != name.strip():
        raise ValueError("a document name must not start or end with whitespace")
    if name in {".", ".."} or "/" in name or "\\" in name:
        raise ValueError("a document name must not contain path separators or be '.' or '..'")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValueError("a document name must not contain control characters")
    try:
        return check_visible(name)
    except InputError as err:
        raise ValueError(str(err)) from None


Text = Annotated[str, AfterValidator(_encodable)]
DocumentName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_DOCUMENT_NAME_CHARS, examples=["handbook.md"]),
    AfterValidator(_encodable),
    AfterValidator(_valid_document_name),
]


class TurnIn(BaseModel):
    """An earlier exchange, so that "and when was that?" can be understood."""

    question: Text
    answer: Text | None = None


class AskRequest(BaseModel):
    question: Text = Field(min_length=1, examples=["When was the party founded?"])
    # Strict: JSON `true` is not a count of passages (lax mode reads it as 1).
    top_k: int | None = Field(
        default=None, ge=1, strict=True, description="Passages to cite; the server default if omitted."
    )
    history: list[TurnIn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class CitationOut(BaseModel):
    n: int
    document: str
    paragraph: int
    page: int | None = Field(description="The PDF page (1-based) the passage starts on; null for other formats.")
    section: str | None
    text: str
    score: float


class AnswerOut(BaseModel):
    """The same JSON as `citebot ask --json` (`Answer.to_dict()`)."""

    question: str
    answer: str | None
    abstained: bool = Field(description="True when the documents do not answer the question; `answer` is then null.")
    citations: list[CitationOut]
    timings_ms: dict[str, float]


class HitOut(BaseModel):
    rank: int
    id: str
    document: str
    paragraph: int
    page: int | None = Field(description="The PDF page (1-based); null for other formats.")
    section: str | None
    text: str
    start: int
    end: int
    dense: float
    lexical: float
    fused: float

    @classmethod
    def from_hit(cls, hit: Hit) -> HitOut:
        p = hit.passage
        return cls(
            rank=hit.rank, id=p.id, document=p.document, paragraph=p.paragraph, page=p.page, section=p.section,
            text=p.text, start=p.start, end=p.end, dense=hit.dense, lexical=hit.lexical, fused=hit.fused,
        )


class SearchOut(BaseModel):
    query: str
    hits: list[HitOut]


class DocumentIn(BaseModel):
    name: DocumentName
    text: Text = Field(min_length=1, description="Plain text or Markdown.")


class DocumentUpload(BaseModel):
    """A file sent as multipart/form-data."""

    file: bytes = Field(json_schema_extra={"format": "binary"}, description="PDF, DOCX, HTML, TXT or MD.")
    name: DocumentName | None = Field(default=None, description="The document's name; the file's name if omitted.")


# Both bodies POST /v1/documents takes; it reads the body itself, so the
# schema is declared rather than inferred.
DOCUMENT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": DocumentIn.model_json_schema()},
        "multipart/form-data": {"schema": DocumentUpload.model_json_schema()},
    },
}
_NAME = TypeAdapter(DocumentName)


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def document_from_json(body: bytes, content_type: str) -> DocumentIn:
    """The JSON body, or the validation error FastAPI itself would raise
    (for a body not sent as JSON, one the error handler turns into a 415)."""
    if not is_json(content_type):
        raise RequestValidationError([{"type": "model_type", "loc": ("body",), "msg": "not JSON", "input": None}])
    try:
        return DocumentIn.model_validate_json(body)
    except ValidationError as err:
        raise _invalid(err, ("body",)) from None


async def uploaded_file(request: Any) -> tuple[str, bytes]:
    """The document name and bytes of a multipart upload."""
    form = await request.form(max_files=1, max_fields=2)
    upload, name = form.get("file"), form.get("name")
    if upload is None or isinstance(upload, str):
        _reject_field("file", "a file is required (a form field named 'file')")
    if name is not None and not isinstance(name, str):
        _reject_field("name", "the name must be text, not a file")
    if not name:
        # Browsers send a bare file name; some old ones send the whole path.
        name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
    try:
        name = _NAME.validate_python(name)
    except ValidationError as err:
        raise _invalid(err, ("body", "name")) from None
    return name, await upload.read()


def _invalid(err: ValidationError, prefix: tuple[str, ...]) -> RequestValidationError:
    return RequestValidationError(
        [{"type": e["type"], "loc": (*prefix, *e["loc"]), "msg": e["msg"]} for e in err.errors()]
    )


def _reject_field(field: str, message: str) -> NoReturn:
    raise RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message}])


class DocumentOut(BaseModel):
    name: str
    passages: int
    pages: int | None = Field(default=None, description="Pages of a PDF; null for other formats.")
    sha256: str
    indexed_at: str

    @classmethod
    def from_info(cls, info: DocumentInfo) -> DocumentOut:
        return cls(
            name=info.name, passages=info.passages, pages=info.pages, sha256=info.sha256, indexed_at=info.indexed_at
        )


class DocumentListOut(BaseModel):
    documents: list[DocumentOut]


class IndexOut(BaseModel):
    version: int
    documents: list[DocumentOut]
    passages: int
    model_id: str
    dim: int
    kind: str
    built_at: str

    @classmethod
    def from_info(cls, info: IndexInfo) -> IndexOut:
        return cls(
            version=info.version, documents=[DocumentOut.from_info(d) for d in info.documents],
            passages=info.passages, model_id=info.model_id, dim=info.dim, kind=info.kind, built_at=info.built_at,
        )


class HealthOut(BaseModel):
    status: str = "ok"


class ReadyOut(BaseModel):
    status: str = "ready"
    documents: int
    passages: int
    model_id: str


class ErrorDetail(BaseModel):
    location: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(examples=["invalid_request"])
    message: str = Field(description="One line, written for the user.")
    details: list[ErrorDetail] | None = Field(default=None, description="Per-field problems of a rejected request.")


class ErrorOut(BaseModel):
    """Every 4xx/5xx response has this body."""

    error: ErrorBody
