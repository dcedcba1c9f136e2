"""The index in PostgreSQL with pgvector, shared by every process that names
the database (`index.backend = "postgres"`).

    citebot_meta      one row: format, model, dimension, kind, current version
    citebot_versions  per version: when built, its documents, passage and term counts
    citebot_passages  one row per passage and the versions it is live in
                      [live_from, live_to): the passage, its embedding
                      (vector(dim), HNSW-indexed when index.kind = "hnsw"),
                      its clause means (float16 bytes) and their token counts
    citebot_terms     the passage's jieba terms with their counts, live in the
                      same versions: BM25 runs in SQL, so every process
                      searches one lexical index

A commit is one transaction: it closes the rows of removed and changed
documents, inserts the new ones and moves the current version, so a reader
sees the old version or the new one, never a mix; a writer killed before it
commits leaves nothing behind. A view is pinned to one version number and
filters every query by it, so a question started on version v finishes on v
while v+1 commits; rows are deleted once no kept version
(`index.keep_versions`) needs them. Writers are serialised by a session-level
advisory lock, which the server releases when the writer's connection ends,
also when its process is killed.

The URL's password is a secret: messages name the database by user, host,
port and name only, and the server's error texts are passed on without it.
"""

from __future__ import annotations

import contextlib
import os
import queue
from collections import Counter
from dataclasses import asdict
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from config.settings import SettingsError

from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, IndexUnavailableError
from .lexical import B, K1, bm25_idf
from .storage import Pieces, StoredPassage, check_model, crash_point, now, row_starts
from .store import FORMAT_VERSION, Manifest
from .types import IndexInfo, Passage

# pg_advisory_lock key of the one writer: "citebot" in ASCII, as a bigint.
_LOCK_KEY = int.from_bytes(b"citebot", "big")
_LIVE = "live_from <= %(v)s AND (live_to IS NULL OR live_to > %(v)s)"
_CONNECT_TIMEOUT_S = 10
_CACHED_PASSAGES = 4096  # per view; a question reads a few dozen


class PgStore:
    """The PostgreSQL backend of `storage.Store`."""

    def __init__(self, url: str, keep_versions: int = 2):
        if not url:
            raise SettingsError('index.backend is "postgres" but index.postgres_url is empty; set CITEBOT_INDEX_POSTGRES_URL')
        self._url = url
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error:  # its message quotes the URL, password and all
            raise SettingsError("setting index.postgres_url is not a valid PostgreSQL URL or conninfo string") from None
        self._password = params.get("password") or None
        self.location = _describe(params)
        self.keep_versions = max(1, keep_versions)
        self._idle: queue.SimpleQueue[psycopg.Connection] = queue.SimpleQueue()
        self._writer: psycopg.Connection | None = None

    # ----------------------------------------------------------- connections

    def _connect(self, **options) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S, **options)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None
        _register_vector(conn)
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled autocommit connection; one broken by an outage is dropped."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            if not conn._citebot_vector:
                _register_vector(conn)  # the extension may have been created since
            yield conn
        except psycopg.Error as exc:  # an outage, a lost connection, a refused privilege
            raise self._unavailable(exc) from None
        finally:
            if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.close()
            else:
                self._idle.put(conn)

    def _unavailable(self, exc: psycopg.Error) -> IndexUnavailableError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if self._password:
            reason = reason.replace(self._password, "***")
        return IndexUnavailableError(f"cannot use the index database {self.location}: {reason}")

    # ------------------------------------------------------------- reading

    def exists(self) -> bool:
        return self.current_version() is not None

    def current_version(self) -> int | None:
        with self.connection() as conn:
            try:
                row = conn.execute("SELECT version FROM citebot_meta").fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return row[0] if row else None

    def load(self, expected_model_id: str | None = None, ef_search: int = 128) -> "PgView":
        with self.connection() as conn:
            try:
                meta = conn.execute("SELECT format, model_id, dim, kind, version FROM citebot_meta").fetchone()
            except psycopg.errors.UndefinedTable:
                meta = None
            if meta is None:
                raise IndexNotFoundError(f"no index at {self.location}; build one with `citebot index PATH...`")
            format_, model_id, dim, kind, version = meta
            if format_ != FORMAT_VERSION:
                raise IndexCorruptError(
                    f"the index at {self.location} has format {format_}, this citebot reads format "
                    f"{FORMAT_VERSION}; re-index with `citebot index --rebuild PATH...`"
                )
            row = conn.execute(
                "SELECT built_at, passages, terms, documents FROM citebot_versions WHERE version = %s", (version,)
            ).fetchone()
        if row is None:
            raise self._damaged(f"version {version} has no row in citebot_versions")
        built_at, passages, terms, documents = row
        manifest = Manifest(FORMAT_VERSION, version, model_id, dim, kind, built_at, passages, documents)
        if expected_model_id is not None:
            self.check_model(manifest, expected_model_id)
        return PgView(self, manifest, terms, ef_search)

    def check_model(self, manifest: Manifest, expected_model_id: str) -> None:
        check_model(self.location, manifest.model_id, expected_model_id)

    def verify(self) -> IndexInfo:
        """The current version's rows agree with its record: passages per
        document, term counts, one embedding of the right size each."""
        view = self.load()
        v = {"v": view.version}
        with self.connection() as conn:
            per_document = dict(conn.execute(
                f"SELECT document, count(*) FROM citebot_passages WHERE {_LIVE} GROUP BY document", v
            ).fetchall())
            bad_vectors = conn.execute(
                f"SELECT count(*) FROM citebot_passages WHERE {_LIVE} "
                "AND (embedding IS NULL OR vector_dims(embedding) <> %(dim)s "
                "OR length(piece_means) <> pieces * %(dim)s * 2 OR length(piece_tokens) <> pieces * 4 "
                "OR length(sentence_vectors) <> sentences * %(dim)s * 2)",
                v | {"dim": view.manifest.dim},
            ).fetchone()[0]
            terms, lengths = conn.execute(
                f"SELECT (SELECT coalesce(sum(tf), 0) FROM citebot_terms WHERE {_LIVE}), "
                f"(SELECT coalesce(sum(length), 0) FROM citebot_passages WHERE {_LIVE})", v
            ).fetchone()
        expected = {name: d["passages"] for name, d in view.manifest.documents.items() if d["passages"]}
        if per_document != expected or sum(per_document.values()) != view.size:
            raise self._damaged(f"version {view.version} has passages that do not match its documents")
        if bad_vectors:
            raise self._damaged(f"{bad_vectors} passages of version {view.version} have damaged vectors")
        if not terms == lengths == view.total_terms:
            raise self._damaged(f"the lexical index of version {view.version} does not match its passages")
        return view.info()

    def _damaged(self, problem: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"the index at {self.location} is damaged: {problem}; rebuild it with `citebot index --rebuild PATH...`"
        )

    # ------------------------------------------------------------- writing

    @contextlib.contextmanager
    def writer(self) -> Iterator["PgStore"]:
        """Hold the advisory lock on a connection of its own for the duration of a change."""
        holder = f"citebot pid {os.getpid()}"
        conn = self._connect(application_name=holder)
        try:
            try:
                locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()[0]
                if not locked:
                    other = conn.execute(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                        "AND (l.classid::bigint << 32 | l.objid::bigint) = %s",
                        (_LOCK_KEY,),
                    ).fetchone()
                    raise IndexLockedError(
                        f"the index at {self.location} is being written by {(other and other[0]) or 'another process'}; "
                        f"wait for it to finish and try again"
                    )
            except psycopg.Error as exc:
                raise self._unavailable(exc) from None
            self._writer = conn
            yield self
        finally:
            self._writer = None
            conn.close()  # ends the session, and with it the lock

    def commit(
        self,
        *,
        model_id: str,
        kind: str,
        passages: list[StoredPassage],
        vectors: np.ndarray,
        pieces: Pieces,
        documents: dict[str, dict],
        hnsw: dict[str, int] | None = None,
        carried_over: frozenset[str] = frozenset(),
    ) -> Manifest:
        """Commit a new version in one transaction. Call inside `writer()`."""
        if self._writer is None:
            raise RuntimeError("PgStore.commit outside writer()")
        conn, dim = self._writer, int(vectors.shape[1])
        try:
            with conn.transaction():
                previous, recreated = self._prepare(conn, model_id, dim, kind)
                if recreated:
                    carried_over = frozenset()
                version = previous + 1
                v = {"v": version, "kept": sorted(carried_over)}
                conn.execute(
                    "UPDATE citebot_terms t SET live_to = %(v)s FROM citebot_passages p "
                    "WHERE p.id = t.passage_id AND p.live_to IS NULL AND NOT p.document = ANY(%(kept)s::text[])", v
                )
                conn.execute(
                    "UPDATE citebot_passages SET live_to = %(v)s WHERE live_to IS NULL AND NOT document = ANY(%(kept)s::text[])", v
                )
                self._insert(conn, version, passages, vectors, pieces, carried_over)
                if kind == "hnsw":
                    options = hnsw or {}
                    conn.execute(
                        "CREATE INDEX IF NOT EXISTS citebot_passages_hnsw ON citebot_passages "
                        "USING hnsw (embedding vector_ip_ops) WITH (m = %d, ef_construction = %d)"
                        % (int(options.get("m", 16)), int(options.get("ef_construction", 64)))
                    )
                else:
                    conn.execute("DROP INDEX IF EXISTS citebot_passages_hnsw")
                count, terms = conn.execute(
                    f"SELECT count(*), coalesce(sum(length), 0) FROM citebot_passages WHERE {_LIVE}", v
                ).fetchone()
                built_at = now()
                conn.execute(
                    "INSERT INTO citebot_versions (version, built_at, passages, terms, documents) VALUES (%s, %s, %s, %s, %s)",
                    (version, built_at, count, terms, Jsonb(documents)),
                )
                crash_point("staged")
                conn.execute("UPDATE citebot_meta SET version = %s, kind = %s", (version, kind))
                self._collect_garbage(conn, version)
            # Fresh statistics, so that the planner knows how many rows a version holds.
            conn.execute("ANALYZE citebot_passages, citebot_terms")
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None
        return Manifest(FORMAT_VERSION, version, model_id, dim, kind, built_at, count, documents)

    def _prepare(self, conn: psycopg.Connection, model_id: str, dim: int, kind: str) -> tuple[int, bool]:
        """The current version number, and whether the tables were (re)created
        for this model: a new model or dimension replaces the index, as the
        files backend rebuilds it. Version numbers keep growing across a
        rebuild, since readers only compare them."""
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege:
            raise IndexUnavailableError(
                f"the database {self.location} has no pgvector extension and this user may not create it; "
                f"run `CREATE EXTENSION vector;` in it as its owner"
            ) from None
        _register_vector(conn)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS citebot_meta (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), "
            "format int NOT NULL, model_id text NOT NULL, dim int NOT NULL, kind text NOT NULL, version bigint NOT NULL)"
        )
        meta = conn.execute("SELECT format, model_id, dim, version FROM citebot_meta FOR UPDATE").fetchone()
        if meta is not None and tuple(meta[:3]) == (FORMAT_VERSION, model_id, dim):
            return meta[3], False
        for table in ("citebot_terms", "citebot_passages", "citebot_versions"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("CREATE TABLE citebot_versions (version bigint PRIMARY KEY, built_at text NOT NULL, "
                     "passages int NOT NULL, terms bigint NOT NULL, documents jsonb NOT NULL)")
        conn.execute(
            f"CREATE TABLE citebot_passages (id bigserial PRIMARY KEY, live_from bigint NOT NULL, live_to bigint, "
            f"document text NOT NULL, passage jsonb NOT NULL, text_sha text NOT NULL, pieces int NOT NULL, "
            f"sentences int NOT NULL, length int NOT NULL, embedding vector({dim}) NOT NULL, "
            f"piece_means bytea NOT NULL, piece_tokens bytea NOT NULL, sentence_vectors bytea NOT NULL)"
        )
        conn.execute("CREATE INDEX ON citebot_passages (document) WHERE live_to IS NULL")
        conn.execute("CREATE TABLE citebot_terms (passage_id bigint NOT NULL, term text NOT NULL, tf int NOT NULL, "
                     "live_from bigint NOT NULL, live_to bigint)")
        conn.execute("CREATE INDEX ON citebot_terms (term)")
        conn.execute("CREATE INDEX ON citebot_terms (passage_id)")
        version = meta[3] if meta is not None else 0
        conn.execute("DELETE FROM citebot_meta")
        conn.execute(
            "INSERT INTO citebot_meta (format, model_id, dim, kind, version) VALUES (%s, %s, %s, %s, %s)",
            (FORMAT_VERSION, model_id, dim, kind, version),
        )
        return version, True

    def _insert(self, conn, version, passages, vectors, pieces: Pieces, carried_over) -> None:
        starts = row_starts(sp.pieces for sp in passages)
        firsts = row_starts(sp.sentences for sp in passages)
        new = [i for i, sp in enumerate(passages) if sp.passage.document not in carried_over]
        if not new:
            return
        ids = [r[0] for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('citebot_passages', 'id')) FROM generate_series(1, %s)", (len(new),)
        ).fetchall()]
        means16 = pieces.means.astype(np.float16)
        tokens32 = pieces.counts.astype(np.int32)
        alone16 = pieces.alone.astype(np.float16)
        # Binary COPY: formatting a million vectors as text would take minutes.
        with conn.cursor().copy(
            "COPY citebot_passages (id, live_from, document, passage, text_sha, pieces, sentences, length, "
            "embedding, piece_means, piece_tokens, sentence_vectors) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int8", "text", "jsonb", "text", "int4", "int4", "int4", "vector", "bytea", "bytea", "bytea"])
            for pid, i in zip(ids, new):
                sp = passages[i]
                start, end = starts[i], starts[i + 1]
                first, last = firsts[i], firsts[i + 1]
                copy.write_row((
                    pid, version, sp.passage.document, Jsonb(asdict(sp.passage)), sp.text_sha, sp.pieces,
                    sp.sentences, len(sp.terms), vectors[i].astype(np.float32), means16[start:end].tobytes(),
                    tokens32[start:end].tobytes(), alone16[first:last].tobytes(),
                ))
        with conn.cursor().copy("COPY citebot_terms (passage_id, term, tf, live_from) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "text", "int4", "int8"])
            for pid, i in zip(ids, new):
                for term, tf in Counter(passages[i].terms).items():
                    copy.write_row((pid, term, tf, version))

    def _collect_garbage(self, conn: psycopg.Connection, current: int) -> None:
        oldest_kept = current - self.keep_versions + 1
        conn.execute("DELETE FROM citebot_terms WHERE live_to <= %s", (oldest_kept,))
        conn.execute("DELETE FROM citebot_passages WHERE live_to <= %s", (oldest_kept,))
        conn.execute("DELETE FROM citebot_versions WHERE version < %s", (oldest_kept,))


class PgView:
    """One version of a PgStore: every query filters by its version number."""

    def __init__(self, store: PgStore, manifest: Manifest, total_terms: int, ef_search: int):
        self.manifest = manifest
        self.total_terms = total_terms
        self._store = store
        self._ef_search = ef_search
        self._v = {"v": manifest.version}
        self._passages: dict[int, Passage] = {}
        self._frequencies: dict[str, int] = {}

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def size(self) -> int:
        return self.manifest.passages

    def info(self) -> IndexInfo:
        return self.manifest.info()

    def _rows(self, sql: str, params: Mapping | None = None) -> list[tuple]:
        with self._store.connection() as conn:
            return conn.execute(sql, {**self._v, **(params or {})}).fetchall()

    def passage(self, row: int) -> Passage:
        if row not in self._passages:
            if len(self._passages) >= _CACHED_PASSAGES:
                self._passages.clear()
            found = self._rows("SELECT passage FROM citebot_passages WHERE id = %(id)s", {"id": row})
            self._passages[row] = Passage(**found[0][0])
        return self._passages[row]

    def stored(self) -> list[tuple[int, StoredPassage]]:
        rows = self._rows(
            f"SELECT p.id, p.passage, p.text_sha, p.pieces, p.sentences, "
            f"array(SELECT t.term FROM citebot_terms t, generate_series(1, t.tf) WHERE t.passage_id = p.id) "
            f"FROM citebot_passages p WHERE {_LIVE} ORDER BY p.id"
        )
        return [
            (pid, StoredPassage(Passage(**passage), terms, sha, pieces, sentences))
            for pid, passage, sha, pieces, sentences, terms in rows
        ]

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        with self._store.connection() as conn, conn.cursor(binary=True) as cursor:
            cursor.execute("SELECT id, embedding FROM citebot_passages WHERE id = ANY(%s)", (list(map(int, rows)),))
            found = {pid: vector.to_numpy() for pid, vector in cursor}
        return np.array([found[int(r)] for r in rows], dtype=np.float32).reshape(len(rows), self.manifest.dim)

    def pieces_of(self, rows: Sequence[int]) -> list[Pieces]:
        dim = self.manifest.dim
        found = {
            pid: Pieces(np.frombuffer(means, dtype=np.float16).reshape(-1, dim).astype(np.float32),
                        np.frombuffer(tokens, dtype=np.int32).copy(),
                        np.frombuffer(alone, dtype=np.float16).reshape(-1, dim).astype(np.float32))
            for pid, means, tokens, alone in self._rows(
                "SELECT id, piece_means, piece_tokens, sentence_vectors FROM citebot_passages WHERE id = ANY(%(ids)s)",
                {"ids": list(map(int, rows))},
            )
        }
        return [found[int(r)] for r in rows]

    def dense(self, vector: np.ndarray, k: int) -> dict[int, float]:
        # relaxed_order: the HNSW scan goes on until k rows of this version
        # are found, instead of stopping at ef_search candidates of any version.
        # Without enable_seqscan off the planner, costing the scan by
        # ef_search, took an exact scan instead at ef_search 256 (10k
        # passages: 47 ms instead of 4).
        hnsw = "off" if self.manifest.kind == "hnsw" else "on"
        with self._store.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('enable_seqscan', %s, true)",
                (str(max(self._ef_search, k)), hnsw),
            )
            rows = conn.execute(
                f"SELECT id, embedding <#> %(q)s FROM citebot_passages WHERE {_LIVE} ORDER BY embedding <#> %(q)s LIMIT %(k)s",
                {**self._v, "q": np.asarray(vector, dtype=np.float32), "k": k},
            ).fetchall()
        return {int(pid): -float(distance) for pid, distance in rows}

    def _frequencies_of(self, terms: Iterable[str]) -> dict[str, int]:
        unknown = [t for t in set(terms) if t not in self._frequencies]
        if unknown:
            found = dict(self._rows(
                f"SELECT term, count(*) FROM citebot_terms WHERE term = ANY(%(terms)s::text[]) AND {_LIVE} GROUP BY term",
                {"terms": unknown},
            ))
            self._frequencies.update({t: found.get(t, 0) for t in unknown})
        return {t: self._frequencies[t] for t in terms}

    def idf(self, term: str) -> float:
        return bm25_idf(self._frequencies_of([term])[term], self.size)

    def lexical(self, terms: Iterable[str], weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        weights = weights or {}
        known = {t: f for t, f in self._frequencies_of(set(terms)).items() if f}
        if not known or not self.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        factors = [weights.get(t, 1.0) * bm25_idf(f, self.size) for t, f in known.items()]
        rows = self._rows(
            "SELECT t.passage_id, sum(q.factor * t.tf * %(k1p1)s / "
            "(t.tf + %(k1)s * (1 - %(b)s + %(b)s * p.length / %(avg)s))) "
            "FROM unnest(%(terms)s::text[], %(factors)s::float8[]) AS q(term, factor) "
            "JOIN citebot_terms t ON t.term = q.term JOIN citebot_passages p ON p.id = t.passage_id "
            "WHERE t.live_from <= %(v)s AND (t.live_to IS NULL OR t.live_to > %(v)s) "
            "GROUP BY t.passage_id ORDER BY t.passage_id",
            {"terms": list(known), "factors": factors, "k1": K1, "k1p1": K1 + 1, "b": B,
             "avg": self.total_terms / self.size},
        )
        return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64)

    def sample(self, limit: int) -> tuple[np.ndarray, list[str]]:
        rows = self._rows(
            f"SELECT id, passage->>'text' FROM (SELECT id, passage, row_number() OVER (ORDER BY id) - 1 AS r "
            f"FROM citebot_passages WHERE {_LIVE}) s WHERE r %% %(step)s = 0 ORDER BY id",
            {"step": max(1, self.size // limit)},
        )
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]


def _register_vector(conn: psycopg.Connection) -> None:
    """Let psycopg read and write pgvector values as numpy arrays, once the
    extension exists in the database."""
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
        conn._citebot_vector = True
    except psycopg.ProgrammingError:
        conn._citebot_vector = False  # no extension yet: the first commit creates it


def _describe(params: Mapping[str, str]) -> str:
    """The database as messages name it: no password, ever."""
    user = params.get("user") or os.environ.get("PGUSER", "")
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"postgresql://{user + '@' if user else ''}{host}:{port}/{params.get('dbname', '')}"
