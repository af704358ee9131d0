"""Which skill a request asks for: a logistic-regression classifier over the MiniLM sentence embedding of the
request plus a few slot features (does it name a SKU, an order, money, a warehouse...), trained at start-up on
the skills' example requests with their placeholders filled in many ways (`examples.py`).

The probabilities are what the model decides with: a confident top skill is used, an unsure one makes the model
ask one short question instead of guessing. Training takes a couple of seconds; the trained classifier is kept
per process and its training embeddings on disk, keyed by the examples, so a restart does not re-encode them.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.normalise import plain
from assistant.offline.examples import EXAMPLES, OUT_OF_SCOPE
from assistant.offline.slots import Slots, extract

Encoder = Callable[[list[str]], np.ndarray]
# Fillers for the placeholders of the examples: generic goods and places, so that the classifier learns the
# shape of a request, not a catalogue.
PRODUCTS = (
    "BV-TENT-0001",
    "FG-SERUM-0002",
    "the headlamp",
    "dome tent 4-person",
    "rain jacket M",
    "vitamin C serum 30 ml",
    "sunscreen SPF 50",
    "leather handbag black",
    "cooler box 40 L",
    "hiking boots UK 9",
    "hair oil 100ml",
    "lip balm",
    "sleeping bag",
    "backpack 65 L",
    "face mask 5-pack",
    "coffee flask 750 ml",
    "cotton tee XL",
    "toner",
    "lantern 500 lm",
    "braai grid",
    # made-up names with their variant, as merchants name products: a brand word, a type and a size or colour
    "Tugela trail pack 30 L",
    "Amanzi bottle 1 litre",
    "Baviaans tent 3 man",
    "Umhlanga sun lotion 200ml",
    "Swartberg down jacket ladies S",
    "Knysna day bag olive",
    "Nguni fleece XL",
    "Bushveld cooler 45 litres",
    "Hex head torch 400 lumens",
    "Karkloof eye cream 15 ml",
    "Mopani trail runner size 8",
    "Soutpansberg sleeping bag -10",
)
# ...and names built from a made-up brand, a kind of goods and a variant typed loosely, so that an unknown word
# in a name ("potjie", "Tsitsikamma") reads as part of a product, not as something off-topic.
BRANDS = ("Sedgefield", "Lowveld", "Kloof", "Umzimkulu", "Bokkie", "Khaya", "Jacaranda", "Namaqua", "Langeberg")
GOODS = (
    "tent",
    "pots",
    "camp chair",
    "head torch",
    "day cream",
    "body wash",
    "tote bag",
    "beanie",
    "shampoo",
    "mug",
    "fleece",
    "lip gloss",
    "trail shoes",
    "gas cooker",
)
VARIANTS = ("", "", "2 man", "1,5L", "500ml", "sz 9", "XL", "swart", "300 lumen", "SPF30", "3pk", "ladies M", "olive")
KINDS = ("", "", "", "vegan", "organic", "kids", "eco", "travel")  # a word before the goods: "vegan totes"
PLACES = (
    "Cape Town",
    "JHB",
    "Durban",
    "CPT",
    "Johannesburg",
    "DBN",
    "Midrand",
    "Pinetown",
    "Joburg",
    "Kaapstad",
    "Durbs",
    "Jozi",
    "eThekwini",
    "CT",
    "the Kaap",
)
# The way a merchant opens and closes a message says nothing about what they want: every example is also learnt
# with some of these around it.
OPENERS = ("", "", "", "howzit, ", "hi ", "eish, ", "quick one - ", "morning! ", "hey team, ", "sorry, ")
CLOSERS = ("", "", "", " pls", " thanks", "?", " asap", " shap", " dankie", " please")
NUMBERS = ("5", "10", "12", "20", "3", "50", "100", "7", "30", "2")
ORDERS = ("1042", "1187", "1233", "1310", "1458", "1499")
FEATURES = ("sku", "order", "money", "hs", "warehouse", "two_warehouses", "quantity", "status", "channel", "period")


def slot_features(slots: Slots) -> np.ndarray:
    """Slot evidence next to the embedding: names of concrete things say which tools can apply."""
    return np.array(
        [
            bool(slots.skus),
            slots.order_number is not None,
            slots.money is not None or slots.freight is not None,
            slots.hs_code is not None,
            bool(slots.warehouses),
            len(slots.warehouses) > 1,
            bool(slots.quantities),
            slots.status is not None,
            slots.channel is not None,
            slots.days is not None,
        ],
        dtype=np.float32,
    )


def _product(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(PRODUCTS)
    return " ".join(f"{rng.choice(BRANDS)} {rng.choice(KINDS)} {rng.choice(GOODS)} {rng.choice(VARIANTS)}".split())


def training_set(variants: int = 6, seed: int = 7) -> tuple[list[str], list[str]]:
    """(texts, labels): every example `variants` times, with its placeholders filled and an opener or closer
    around it (the first copy as written)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, examples in EXAMPLES.items():
        for example in examples:
            copies = variants if "{" in example else 3
            seen = set()
            for copy in range(copies):
                place, other = rng.sample(PLACES, 2)
                opener, closer = ("", "") if copy == 0 else (rng.choice(OPENERS), rng.choice(CLOSERS))
                text = plain(
                    opener
                    + example.format(p=_product(rng), w=place, w2=other, n=rng.choice(NUMBERS), o=rng.choice(ORDERS))
                    + closer
                )
                if text not in seen:
                    seen.add(text)
                    texts.append(text)
                    labels.append(label)
    return texts, labels


@dataclass(frozen=True)
class Prediction:
    ranked: list[tuple[str, float]]  # (skill, probability), most likely first

    @property
    def best(self) -> tuple[str, float]:
        return self.ranked[0]


class SkillClassifier:
    FEATURE_WEIGHT = 0.6  # slot features next to unit-length embeddings: strong enough to count, not to rule

    def __init__(self, encode: Encoder, cache_dir: Path | None = None) -> None:
        self._encode = encode
        # Not the data directory: every test and evaluation copy has its own, and the vectors are the same for all.
        self._cache_dir = cache_dir or Path(tempfile.gettempdir()) / "fluxori-offline"
        self._lock = threading.Lock()
        self._model: LogisticRegression | None = None

    def _features(self, vectors: np.ndarray, slots: list[Slots]) -> np.ndarray:
        extra = np.stack([slot_features(s) for s in slots]) * self.FEATURE_WEIGHT
        return np.hstack([vectors, extra])

    def _train(self) -> LogisticRegression:
        texts, labels = training_set()
        vectors = self._cached_vectors(texts)
        model = LogisticRegression(C=8.0, max_iter=2000)
        model.fit(self._features(vectors, [extract(t) for t in texts]), labels)
        return model

    def _cached_vectors(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = self._cache_dir / f"offline-skills-{key}.npy"
        try:
            vectors: np.ndarray = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass
        vectors = np.asarray(self._encode(texts), dtype=np.float32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError:
            pass  # a read-only disk only costs the next start a re-encode
        return vectors

    @property
    def model(self) -> LogisticRegression:
        with self._lock:
            if self._model is None:
                self._model = _shared(self._train)
        return self._model

    def predict(self, text: str, slots: Slots, allowed: set[str]) -> Prediction:
        model = self.model
        vector = np.asarray(self._encode([text]), dtype=np.float32)
        probabilities = model.predict_proba(self._features(vector, [slots]))[0]
        scores = {
            label: float(p)
            for label, p in zip(model.classes_, probabilities, strict=True)
            if label in allowed or label == OUT_OF_SCOPE
        }
        total = sum(scores.values()) or 1.0
        return Prediction(sorted(((k, v / total) for k, v in scores.items()), key=lambda kv: -kv[1]))


_TRAINED: dict[str, LogisticRegression] = {}
_TRAIN_LOCK = threading.Lock()


def _shared(train: Callable[[], LogisticRegression]) -> LogisticRegression:
    """One trained classifier per process and set of examples (every chat service of the process shares it)."""
    key = hashlib.sha256(repr(sorted(EXAMPLES.items())).encode()).hexdigest()
    with _TRAIN_LOCK:
        if key not in _TRAINED:
            _TRAINED[key] = train()
        return _TRAINED[key]
