"""ONNX Runtime backend for sentence-transformers models (fp32 or int8), offline.

sentence-transformers has its own ``backend="onnx"``, but it needs ``optimum``,
whose current releases pin ``transformers<4.58`` (textmine runs on
transformers 5): installing it would downgrade the stack. This module does the
same job with two small, well-kept pieces instead: ``torch.onnx.export`` of the
model's transformer, and ``onnxruntime`` (plus its dynamic int8 quantizer).

* The export runs once per model and is kept under the textmine cache
  (``<cache>/onnx/<model>/model.onnx`` and ``model.int8-perchannel.onnx``); it needs no
  network. A damaged or partial file is rebuilt (written atomically, checked by
  loading it).
* Only models whose sentence-transformers pipeline is
  ``Transformer -> Pooling(mean) [-> Normalize]`` are supported (all-MiniLM-L6-v2
  and most sentence-transformers models); others raise
  :class:`~textmine.errors.ModelLoadError` -- use the torch backend for them.
* Tokenisation, truncation (``max_seq_length``) and mean pooling are the same as
  sentence-transformers'; fp32 output matches the torch backend to ~1e-6
  (tested). int8 changes the vectors measurably: see docs/benchmarks.md for
  the speed / quality trade-off before choosing it.

>>> from textmine.embed import get_embedder
>>> emb = get_embedder("default", backend="onnx", cache=False)   # doctest: +SKIP
>>> emb.encode(["a text"]).shape                                   # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import cache_root
from .errors import ModelLoadError

__all__ = ["OnnxEncoder", "BACKENDS"]

#: embedding backends: sentence-transformers on torch, or ONNX Runtime in fp32 / dynamic int8
BACKENDS = ("torch", "onnx", "onnx-int8")

_LOCK = threading.Lock()


def _check_architecture(st_model: Any) -> None:
    mods = list(st_model)
    names = [type(m).__name__ for m in mods]
    ok = len(mods) >= 2 and names[0] == "Transformer" and names[1] == "Pooling"
    if ok:
        pool = mods[1]
        mode = getattr(pool, "pooling_mode", None) or (
            "mean" if getattr(pool, "pooling_mode_mean_tokens", False) else None
        )
        ok = str(mode).lower() in ("mean", "mean_tokens") and all(n == "Normalize" for n in names[2:])
    if not ok:
        raise ModelLoadError(
            f"the ONNX backend supports Transformer -> Pooling(mean) [-> Normalize] models; this one is {names}. "
            'Use backend="torch".'
        )


def _export(st_model: Any, path: Path) -> None:
    import torch

    bert = st_model[0].auto_model.eval()
    tok = st_model.tokenizer
    enc = tok(["an example sentence", "another one"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in enc]

    class _Wrapped(torch.nn.Module):
        def __init__(self, model: Any):
            super().__init__()
            self.model = model

        def forward(self, *args: Any) -> Any:
            return self.model(**dict(zip(names, args))).last_hidden_state

    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about the attention mask; the output is checked in tests
        torch.onnx.export(
            _Wrapped(bert),
            tuple(enc[n] for n in names),
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, path)


def _quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dst.with_suffix(f".tmp{os.getpid()}")
    # per-channel weights: mean cosine to fp32 0.992 on 20 Newsgroups posts, vs 0.948 per-tensor
    quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    os.replace(tmp, dst)


class OnnxEncoder:
    """Encode texts with an ONNX export of a sentence-transformers model.

    ``st_model`` is the loaded ``SentenceTransformer`` (for its tokenizer, its
    transformer weights at export time and its pooling settings); ``key`` names
    the export folder (the textmine model id).
    """

    def __init__(self, st_model: Any, key: str, *, int8: bool = False, cache_dir: str | os.PathLike[str] | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelLoadError(
                'the ONNX embedding backend needs onnxruntime and onnx: pip install "textmine[onnx]"'
            ) from None
        _check_architecture(st_model)
        self.tokenizer = st_model.tokenizer
        self.default_max_length = int(st_model.max_seq_length)
        folder = cache_root(cache_dir) / "onnx" / hashlib.sha256(key.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        fp32 = folder / "model.onnx"
        path = folder / "model.int8-perchannel.onnx" if int8 else fp32
        so = ort.SessionOptions()
        import torch

        so.intra_op_num_threads = max(1, torch.get_num_threads())
        so.inter_op_num_threads = 1
        with _LOCK:
            for attempt in range(2):
                try:
                    if not fp32.is_file():
                        _export(st_model, fp32)
                    if int8 and not path.is_file():
                        _quantize(fp32, path)
                    self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
                    break
                except ModelLoadError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a damaged export is rebuilt once
                    for p in (fp32, path):
                        p.unlink(missing_ok=True)
                    if attempt:
                        raise ModelLoadError(f"could not build the ONNX export of {key!r}: {exc}") from None
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.path = path

    def encode(self, texts: Sequence[str], *, max_seq_length: int | None = None, batch_size: int = 64) -> np.ndarray:
        """Mean-pooled, L2-normalised float32 embeddings, in the order of ``texts``."""
        texts = list(texts)
        L = int(max_seq_length or self.default_max_length)
        out: np.ndarray | None = None
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths share a batch
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=L, return_tensors="np"
            )
            feeds = {n: np.asarray(enc[n], dtype=np.int64) for n in self.input_names}
            hidden = self.session.run(None, feeds)[0]
            mask = np.asarray(enc["attention_mask"], dtype=np.float32)[..., None]
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out[rows] = pooled / norms
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)
