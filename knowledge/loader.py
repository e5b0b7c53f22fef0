"""Load and validate the knowledge entries (``knowledge/entries/*.yml``)."""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .scope import SLOTS

KNOWLEDGE_DIR = Path(__file__).resolve().parent
ENTRIES_DIR = KNOWLEDGE_DIR / "entries"

TOPICS = ("總覽", "人才培訓", "診斷輔導", "升級轉型補助", "低利貸款", "案例", "聯絡窗口", "中小企業認定")
SOURCE_DOCS = ("seed", "verified-facts")
TITLE_MAX = 16
# The Rasa intent an entry's example questions train (export_nlu). case_status: only an officer can
# settle it, so the bot answers with the entry and then hands the conversation to a person.
INTENTS = ("ask_programme", "case_status")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class KnowledgeError(ValueError):
    """The knowledge files are malformed; the message names the file and entry."""


@dataclass(frozen=True)
class Source:
    doc: str
    section: str
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    citation: str
    answer: str
    questions: tuple[str, ...]
    source: Source
    file: str
    intent: str = "ask_programme"
    # the kinds of detail (knowledge/scope.py SLOTS: when, duration, documents, …) this entry's text
    # answers; a question asking for another kind is answered by a not_in_brief entry instead
    details: frozenset[str] = frozenset()

    def reply_text(self) -> str:
        """The answer as the user sees it, with its citation line."""
        return f"{self.answer.strip()}\n（依據：{self.citation}）"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    digest: str  # sha256 of the entry files: an index records it to detect staleness

    def get(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def ids(self) -> list[str]:
        return [e.id for e in self.entries]


def _require(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise KnowledgeError(f"{where}: {msg}")


def _parse_entry(raw: dict, file: str) -> Entry:
    where = f"{file} entry {raw.get('id', '?')!r}"
    _require(isinstance(raw, dict), file, "each entry must be a mapping")
    for key in ("id", "topic", "title", "citation", "answer", "questions", "source"):
        _require(key in raw and raw[key], where, f"missing field {key!r}")
    _require(bool(_ID.match(str(raw["id"]))), where, "id must be snake_case ASCII")
    _require(raw["topic"] in TOPICS, where, f"topic must be one of {TOPICS}")
    _require(len(raw["title"]) <= TITLE_MAX, where, f"title longer than {TITLE_MAX} characters")
    questions = raw["questions"]
    _require(isinstance(questions, list) and len(questions) >= 3, where, "needs ≥3 questions")
    src = raw["source"]
    _require(isinstance(src, dict), where, "source must be a mapping")
    _require(src.get("doc") in SOURCE_DOCS, where, f"source.doc must be one of {SOURCE_DOCS}")
    _require(bool(src.get("section")), where, "source.section missing")
    quotes = src.get("quotes") or []
    _require(isinstance(quotes, list) and len(quotes) >= 1, where, "source.quotes needs ≥1 quote")
    intent = str(raw.get("intent") or "ask_programme")
    _require(intent in INTENTS, where, f"intent must be one of {INTENTS}")
    details = raw.get("details") or []
    _require(isinstance(details, list) and all(d in SLOTS for d in details), where,
             f"details must be a list of {sorted(SLOTS)}")
    return Entry(
        intent=intent,
        details=frozenset(map(str, details)),
        id=str(raw["id"]),
        topic=str(raw["topic"]),
        title=str(raw["title"]).strip(),
        citation=str(raw["citation"]).strip(),
        answer=str(raw["answer"]).strip(),
        questions=tuple(str(q).strip() for q in questions),
        source=Source(doc=src["doc"], section=str(src["section"]), quotes=tuple(map(str, quotes))),
        file=file,
    )


def load_knowledge(entries_dir: Path = ENTRIES_DIR) -> KnowledgeBase:
    files = sorted(Path(entries_dir).glob("*.yml"))
    if not files:
        raise KnowledgeError(f"no *.yml files in {entries_dir}")
    digest = hashlib.sha256()
    entries: list[Entry] = []
    seen: set[str] = set()
    for path in files:
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + data)
        doc = yaml.safe_load(data)
        _require(isinstance(doc, dict) and isinstance(doc.get("entries"), list), path.name,
                 "top level must be a mapping with an 'entries' list")
        for raw in doc["entries"]:
            entry = _parse_entry(raw, path.name)
            _require(entry.id not in seen, path.name, f"duplicate id {entry.id!r}")
            seen.add(entry.id)
            entries.append(entry)
    return KnowledgeBase(entries=tuple(entries), digest=digest.hexdigest())


SOURCES_DIR = KNOWLEDGE_DIR / "sources"
SOURCE_FILES = {"seed": SOURCES_DIR / "brief.txt", "verified-facts": SOURCES_DIR / "verified-facts.md"}


def source_text(doc: str) -> str:
    return SOURCE_FILES[doc].read_text("utf-8")


@functools.lru_cache(maxsize=1)
def citation_names() -> dict[str, str]:
    """Knowledge entry id → its citation (「升級轉型補助．補助上限」), for result cards in the channels."""
    return {e.id: e.citation for e in load_knowledge().entries}
