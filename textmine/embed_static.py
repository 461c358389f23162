"""A static-embedding model distilled from the packaged all-MiniLM-L6-v2: the fast path for large corpora.

``get_embedder("minilm-static")`` (aliases ``"static"``, ``"all-minilm-l6-v2-static"``) returns a
:class:`StaticEmbedder`: one 256-d vector per word piece of MiniLM's vocabulary, averaged over a
text's word pieces and L2-normalised. No transformer runs at encode time, so it embeds tens of
thousands of texts a second on one CPU core, at a loss of topic quality measured in
docs/benchmarks/embedding_fast.md. Inference is model2vec's ``StaticModel`` (``textmine[static]``).

The table is built on first use, offline, from the packaged MiniLM, by model2vec's recipe
(``model2vec.distill``, which is not used itself: its ``distill`` extra pins ``transformers<5.4`` and
``huggingface-hub<2``, older than the ones sentence-transformers runs on here, so installing it
would downgrade the stack; docs/benchmarks/embedding_fast.md):

1. every token of MiniLM's vocabulary (``[unusedN]`` placeholders left out) is embedded alone,
   as ``[CLS] token [SEP]``, by MiniLM's transformer, mean-pooled over the three positions;
2. PCA to 256 dimensions (eigendecomposition of the covariance, signs fixed);
3. each row is weighted by SIF with Zipf's law for the token's frequency rank (vocabulary order):
   ``1e-4 / (1e-4 + p(rank))``, which damps frequent tokens;
4. stored as float16 in a model2vec folder (``model.safetensors``, ``tokenizer.json``, ``config.json``).

It takes ~10-30 s on a 2-core CPU and is written once per machine into textmine's models folder
(:func:`textmine.llm.presets.models_dir`, where assembled GGUFs go), under a file lock, into a
temporary folder renamed into place, with a marker ``<folder>.ok`` holding the sha256 of the
vectors; a folder whose vectors do not match its marker is rebuilt. Bump :data:`VERSION` when the
recipe changes (a new folder name; the old one is left alone).

Embeddings of this model are not written to textmine's embedding cache: computing them is
cheaper than reading them back (docs/benchmarks/embedding_fast.md). Pickled, an embedder is its
settings (``__reduce__``), so a dask worker builds it once and loads the table from disk.

>>> from textmine.embed import get_embedder
>>> get_embedder("minilm-static").encode(["a first text", "another text"]).shape   # doctest: +SKIP
(2, 256)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._embstore import check_embeddings, check_texts, l2_normalize
from .errors import DependencyError, ModelLoadError

__all__ = ["StaticEmbedder", "STATIC_NAMES", "VERSION", "static_model_dir", "ensure_static_model"]

#: names that select this model (``embedding_model="minilm-static"``)
STATIC_NAMES = ("minilm-static", "static", "all-minilm-l6-v2-static")
#: version of the distillation recipe: part of the folder name and of ``model_id``
VERSION = 1
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
#: texts are cut to this many tokens (model2vec's default); the cut by characters comes first
MAX_TOKENS = 512
_REMOVE = re.compile(r"\[unused\d+\]")
_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}


def _require_model2vec() -> Any:
    try:
        import model2vec
    except ImportError:
        raise DependencyError(
            'the static embedding model "minilm-static" needs model2vec: pip install "textmine[static]"'
        ) from None
    return model2vec


def static_model_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """The folder the distilled model lives in (it may not exist yet)."""
    if directory is None:
        from .llm.presets import models_dir

        directory = models_dir()
    return Path(directory) / f"all-MiniLM-L6-v2-static-v{VERSION}"


def _marker(folder: Path) -> Path:
    return folder.with_name(folder.name + ".ok")


def _valid(folder: Path) -> bool:
    from .llm.assemble import _file_sha256

    try:
        info = json.loads(_marker(folder).read_text(encoding="utf-8"))
        vectors = folder / "model.safetensors"
        return (isinstance(info, dict) and info.get("version") == VERSION
                and all((folder / f).is_file() for f in ("tokenizer.json", "config.json"))
                and info.get("size") == vectors.stat().st_size and info.get("sha256") == _file_sha256(vectors))
    except (OSError, ValueError):
        return False


def distill_table(st_model: Any, *, batch_size: int = 256) -> np.ndarray:
    """The ``(vocabulary size, 256)`` float32 static table of a BERT-style sentence-transformers model.

    Rows of removed tokens (``[unusedN]``) are zero; they never occur in tokenised text.
    """
    import torch

    tokenizer = st_model.tokenizer
    vocab = tokenizer.get_vocab()
    n_vocab = max(vocab.values()) + 1
    kept = sorted(i for tok, i in vocab.items() if not _REMOVE.fullmatch(tok))
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    bert = st_model[0].auto_model.eval()
    rows = []
    with torch.inference_mode():
        for start in range(0, len(kept), batch_size):
            ids = torch.tensor([[cls_id, i, sep_id] for i in kept[start:start + batch_size]], dtype=torch.long)
            out = bert(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids))
            rows.append(out.last_hidden_state.float().mean(dim=1).numpy())
    X = np.nan_to_num(np.concatenate(rows).astype(np.float64))
    # PCA by eigendecomposition of the covariance (model2vec.distill.inference._pca_fit_transform)
    Xc = X - X.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh((Xc.T @ Xc) / (len(Xc) - 1))
    components = eigvecs[:, ::-1][:, :PCA_DIMS].T
    scores = Xc @ components.T
    signs = np.sign(scores[np.argmax(np.abs(scores), axis=0), np.arange(scores.shape[1])])
    scores = scores * np.where(signs == 0, 1.0, signs)
    # SIF weighting with Zipf's law on the rank of the token in the vocabulary (model2vec's compute_weights)
    inv_rank = 1.0 / np.arange(2, len(kept) + 2)
    proba = inv_rank / inv_rank.sum()
    scores *= (SIF_COEFFICIENT / (SIF_COEFFICIENT + proba))[:, None]
    table = np.zeros((n_vocab, PCA_DIMS), dtype=np.float32)
    table[kept] = scores
    return table


def _build(folder: Path) -> None:
    from model2vec import StaticModel

    from sentence_transformers import SentenceTransformer

    from .llm.assemble import _file_sha256
    from .models import packaged_minilm_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: nothing to download
    st_model = SentenceTransformer(str(packaged_minilm_path()), device="cpu")
    table = distill_table(st_model).astype(np.float16)
    config = {"model_type": "model2vec", "architectures": ["StaticModel"], "tokenizer_name": "all-MiniLM-L6-v2",
              "apply_pca": PCA_DIMS, "sif_coefficient": SIF_COEFFICIENT, "hidden_dim": PCA_DIMS,
              "seq_length": 1000000, "normalize": True, "pooling": "mean",
              "textmine_recipe": f"textmine.embed_static v{VERSION}", "source": str(packaged_minilm_path())}
    model = StaticModel(vectors=table, tokenizer=st_model.tokenizer.backend_tokenizer, config=config,
                        normalize=True, base_model_name="all-MiniLM-L6-v2", max_length=MAX_TOKENS)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".partial-", dir=folder.parent))
    try:
        model.save_pretrained(tmp)
        vectors = tmp / "model.safetensors"
        info = {"version": VERSION, "size": vectors.stat().st_size, "sha256": _file_sha256(vectors)}
        if folder.exists():
            shutil.rmtree(folder)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the models folder is shared
        os.replace(tmp, folder)
        marker = _marker(folder)
        marker_tmp = marker.with_name(marker.name + ".tmp")
        marker_tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(marker_tmp, marker)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_static_model(directory: str | os.PathLike[str] | None = None) -> Path:
    """The distilled model's folder, built first if it is missing or does not match its checksum."""
    _require_model2vec()
    folder = static_model_dir(directory)
    if _valid(folder):
        return folder
    from .llm.assemble import file_lock

    with file_lock(folder.with_name(folder.name + ".lock")):
        if not _valid(folder):  # another process may have built it while we waited
            for stale in folder.parent.glob(folder.name + ".partial-*"):
                shutil.rmtree(stale, ignore_errors=True)
            try:
                _build(folder)
            except (ModelLoadError, DependencyError):
                raise
            except Exception as exc:  # noqa: BLE001 - torch / model2vec / file system failures
                raise ModelLoadError(f"could not distil the static model into {folder}: {exc}") from None
    return folder


def _load(directory: str | os.PathLike[str] | None) -> Any:
    folder = static_model_dir(directory)
    with _LOCK:
        model = _LOADED.get(str(folder))
        if model is None:
            ensure_static_model(directory)
            from model2vec import StaticModel

            try:
                model = StaticModel.from_pretrained(folder)
            except Exception as exc:  # noqa: BLE001
                raise ModelLoadError(f"could not load the static model at {folder}: {exc}") from None
            _LOADED[str(folder)] = model
        return model


class StaticEmbedder:
    """all-MiniLM-L6-v2 distilled to a static table (256-d); see the module docstring.

    ``directory``: where the distilled model lives (default: textmine's models folder).
    ``cache`` is accepted for the :func:`~textmine.embed.get_embedder` signature and ignored.
    """

    model_id = f"textmine/all-MiniLM-L6-v2-static-v{VERSION}"
    dim = PCA_DIMS

    def __init__(self, cache: Any = True, *, directory: str | os.PathLike[str] | None = None,
                 batch_size: int = 4096):
        _require_model2vec()
        self._cache_setting = cache
        self._directory = None if directory is None else os.fspath(directory)
        self.batch_size = int(batch_size)
        self.cache = None

    @property
    def model(self) -> Any:
        return _load(self._directory)

    def encode(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        try:  # no multiprocessing: dask workers are daemon processes, and they already run in parallel
            out = model.encode(texts, batch_size=self.batch_size, use_multiprocessing=False,
                               show_progress_bar=bool(show_progress), max_length=MAX_TOKENS)
        except Exception as exc:  # noqa: BLE001
            raise ModelLoadError(f"the static model failed to encode: {type(exc).__name__}: {exc}") from None
        return l2_normalize(check_embeddings(out, len(texts), repr(self), error=ModelLoadError, dim=self.dim))

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as its settings: a worker loads the table once
        return (_rebuild, (self._cache_setting, self._directory, self.batch_size))

    def __repr__(self) -> str:
        return "StaticEmbedder(minilm-static)"


def _rebuild(cache: Any, directory: str | None, batch_size: int) -> StaticEmbedder:
    return StaticEmbedder(cache, directory=directory, batch_size=batch_size)
