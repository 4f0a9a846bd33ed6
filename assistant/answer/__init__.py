"""Answer a free question from the report, with citations that always point at a passage.

The flow: retrieve (the passages are known, and can be shown, before the model starts) → if nothing in
the index is close enough, say the report does not cover it → otherwise ask the model with short,
numbered excerpts → check the answer: citation numbers that point at nothing are removed, and an answer
with no valid citation, in the wrong language, or degenerate (empty, repeating) is replaced by an
extractive answer built from the excerpts themselves. Passages are data, never instructions: they are
delimited in the prompt and the system prompt says so.

Which sentences answer? Every sentence of the retrieved passages is scored against the question (e5
similarity plus the share of the question's words it contains, ``rank_sentences``), and so is every two
neighbouring sentences as one quote (``PAIRED``: one often says what the other is about). The extractive answer
quotes the best of them, the model reads them first, and an extractive answer counts as ``grounded`` only
when the sentences it quotes score as answering (``ANSWERING``); otherwise SLIM says the report does not
answer it directly and shows what comes closest. A model's answer is not held to that score: a sentence
that explains a term without naming it ranks low against the question (tried: it replaced a right answer).

What kind of answer is asked? "Hoeveel …", "Wanneer …", "Wat is het budget …" ask for a number, a date, an
amount (``asked_type``, patterns in prompts/retrieval/answer-types.yaml). A sentence that holds an answer of
that kind is preferred (``TYPE_BONUS``), and only such a sentence answers: a question about a network's
budget is not answered by the sentences about that network that score highest, and when no sentence of the
retrieved passages holds an amount SLIM says so without asking the model. Advice asked in the first person
("Hoe zorg ik …?") is answered by a sentence that advises, or by any under a heading of recommendations
(``headed``). A question about what happened after the study ("inmiddels", ``later``), about what an appendix
holds (``appendix``) or about a term or name the report only lists (``listed_term``) is one no sentence of the report
answers, and one that asks SLIM's own opinion or a prediction (``opinion_asked``) is one no source answers.
References and web addresses (``not_answers``) are never quoted as an answer.

The embedded model does not write (``LanguageModel.chooses``): it reads the best sentences and chooses the
one that answers, or "none", under a JSON schema (``choose``); SLIM quotes it with the best-scoring ones in a
frame of its own in the person's language (``chosen_answer``), and after "none" says the report gives no
direct answer and shows what comes closest. A model that writes (``openai:``, ``ollama:``) goes through the
checks of ``generation`` (``checked_generation``).

The model is asked only when the sentences answer: when none scores as an answer, what it wrote would rest
on passages that merely come close, so SLIM shows them as what comes closest. Its "not in the report" then
stands only for a question that asks for a kind of answer (``trust_refusal``); for an open question the
extractive answer replaces it, as it replaces a text that fails the checks.

Where each part lives, each importing only those after it: ``flow`` (``answer_question``) → ``choice`` (what is
quoted, what the model chooses among), ``compose`` (the texts around the quotes) and ``coverage`` (whether the
report answers) → ``sentences`` (every sentence scored) → ``kinds`` (the kind of answer asked) → ``generation``
(prompts and the checks on what a model writes). The import contract in pyproject.toml keeps it so.
"""

from assistant.answer.compose import cited_sentences
from assistant.answer.flow import answer_question
from assistant.answer.generation import answer_prefix, as_data, checked_generation, language_of_answer, quoted, unquoted

__all__ = [
    "answer_prefix",
    "answer_question",
    "as_data",
    "checked_generation",
    "cited_sentences",
    "language_of_answer",
    "quoted",
    "unquoted",
]
