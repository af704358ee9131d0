"""Which product a merchant means: a name with attributes ("Lumo headlamp 500 lm", "Otter Trail backpack 65L
women's fit", "Kaapse Son SPF 50 200ml") -> ranked candidates with scores, and a verdict: one clear match, several
close ones (ask with a short choice list), or none (say so; never substitute another product).

Numbers are part of names: sizes (ml, L, kg), capacities, person counts, lumen, SPF, pack sizes and shoe sizes are
read as attribute tokens ("500lm", "4person", "spf50", "10pack") that a candidate must carry, so "Lumo Headlamp
650 lm" matches no product instead of the 500 lm one. Words are compared by stem and tolerate a typo (edit
distance), so "Drakensburg dome tents" finds "Drakensberg Dome Tent".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from math import log

import Stemmer

_STEMMER = Stemmer.Stemmer("english")
UNITS = {
    "ml": "ml",
    "millilitre": "ml",
    "milliliter": "ml",
    "l": "l",
    "lt": "l",
    "ltr": "l",
    "litre": "l",
    "liter": "l",
    "litres": "l",
    "liters": "l",
    "kg": "kg",
    "g": "g",
    "lm": "lm",
    "lumen": "lm",
    "lumens": "lm",
    "c": "c",
    "°c": "c",
    "degrees": "c",
    "person": "person",
    "persons": "person",
    "people": "person",
    "man": "person",
    "p": "person",
    "persoon": "person",
    "persn": "person",
    "pers": "person",
    "sleeper": "person",
    "seater": "person",
    "pack": "pack",
    "pk": "pack",
    "pak": "pack",
}
PREFIX_ATTRIBUTES = {"spf": "spf", "uk": "size", "size": "size", "sz": "size", "grootte": "size"}
ABBREVIATIONS = {
    "edt": "eau de toilette",
    "edp": "eau de parfum",
    "womens": "women",
    "ladies": "women",
    "dames": "women",
    "kids": "kid",
    "4p": "4 person",
    "xxl": "xxl",
    "t-shirts?": "tee",  # one word for the same garment, on both sides: "Veld Logo T-shirt" is a tee too
    "t shirts?": "tee",
    "tshirts?": "tee",
    # letter sizes written out or shortened: read as the size letters of the titles
    "extra large|xtra large|x-large|x large": "xl",
    "large|lrg|lge|lg": "l",
    "medium|med": "m",
    "small|sml": "s",
    # light spelt as it is said: "ultralite", "lite"
    r"(\w*)lite": r"\1light",
    # colours in Afrikaans, as the catalogue writes them in English
    "swart": "black",
    "groen": "green",
    "rooi": "red",
    "blou": "blue",
    "wit": "white",
    "grys": "grey",
    "bruin": "brown",
    "pienk": "pink",
}
# A number written as a word before a unit ("two-person", "three man"), as digits.
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "een": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vyf": 5,
    "ses": 6,
    "half a": 0.5,
}
# One spelling per measure, so "1500ml", "1,5L" and "1.5 litre" are the same attribute: below 1 000 in the
# small unit, from 1 000 in the large one.
METRIC = {"ml": ("l", 1000), "g": ("kg", 1000)}
LARGE = {large: (small, factor) for small, (large, factor) in METRIC.items()}
# Words of a request that never name a product: asking, stock, place and courtesy words (also in Afrikaans).
NOISE = frozenset(
    """
    a an the of in at on for to from and or is are do does did we our us you your i me my how many much what which
    where when who have has got get any some left stock stocks level levels inventory unit units available
    availability avail soh qty quantity check show tell please pls plz can could would about it its this that
    these those per warehouse warehouses there here still hold holding on hand onhand count the price cost
    hoeveel het ons in die van en is daar nog voorraad asseblief wat kos sien all total totals across
    jhb cpt dbn johannesburg joburg jozi egoli cape town kaapstad durban durbs ethekwini midrand pinetown
    mother city x ea each pcs piece pieces item items product products sku range catalogue catalog carry sell sold
    move transfer send shift relocate ship write off add remove set mark cancel reorder point adjust correct found
    extra damaged damage broken stolen lost water missing more less fewer by up down should be make bump raise lower
    skuif stuur skryf af beskadig please kindly urgent asap now today list find search show give them
    wh whs dc dcs depot ok okay lekker howzit bru boet hey hi thanks cheers sharp just also again client customer
    asking wants pakhuis het oor by daar hoeveel lvl look looking like status situation doing going
    colour color kleur store shop had were was been same their they instead
    na uit vanaf op vir tot met ek jy julle sal moet kan size sized grootte
    anything something anybody nothing sitting lying around got gotten we've we're there's what's whats how's
    where's ur u r yes no maybe right quick quickly currently atm currently actually one ones kind sort model
    version variant variants men mens men's gents unisex those hey hello sawubona molo dankie groot please
    stuff goods lot lots see seeing need needs want wanted require looking after left over
    rather use using switch change try redo recalculate rerun convert but again
    min minimum max maximum threshold alert flag trigger
    landed land landing import imports importing imported costing fob cif exw freight frt insurance ins duty
    duties tariff tariffs hs code codes rate rates value worth calc calculate calculation ex as be so if vs
    """.split()
)


# ...and their other forms ("checking", "asks", "wanting"): a request word by its stem too.
NOISE_STEMS = frozenset(_STEMMER.stemWords(sorted(NOISE)))


def request_word(word: str) -> bool:
    """Is this a word of the request ("checking", "how", "asks") rather than of a product name?"""
    word = word.lower()
    return word in NOISE or _STEMMER.stemWord(word) in NOISE_STEMS


PUNCTUATION = "?!.,;:'\"()"


def as_asked(text: str) -> str:
    """The product words of a request as the merchant wrote them, for messages that quote them back: request words
    and punctuation are dropped from both ends ("how much stock of the camping chairs in?" -> "camping chairs"),
    the words between are kept ("dome tent in green"). The whole text when nothing is left."""
    words = text.split()

    def asking(word: str) -> bool:
        bare = word.strip(PUNCTUATION)
        return not bare or request_word(bare)

    start, end = 0, len(words)
    while start < end and asking(words[start]):
        start += 1
    while end > start and asking(words[end - 1]):
        end -= 1
    return " ".join(words[start:end]).strip(PUNCTUATION) or text.strip()


class Verdict(StrEnum):
    match = "match"
    ambiguous = "ambiguous"
    none = "none"


@dataclass(frozen=True)
class Candidate:
    sku: str
    title: str
    score: float


@dataclass
class Resolution:
    verdict: Verdict
    query: str
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def sku(self) -> str | None:
        return self.candidates[0].sku if self.verdict == Verdict.match else None


def _number(text: str) -> str:
    value = float(text.replace(",", "."))
    return f"{value:g}"


def _measure(number: str, unit: str) -> str:
    """ "1500" ml -> "1.5l", "0.5" l -> "500ml": one attribute token per quantity."""
    value = float(number)
    if unit in METRIC and value >= METRIC[unit][1]:
        unit, value = METRIC[unit][0], value / METRIC[unit][1]
    elif unit in LARGE and 0 < value < 1:
        unit, value = LARGE[unit][0], value * LARGE[unit][1]
    return f"{value:g}{unit}"


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words, attributes) of a name: words are stems; attributes are number+unit tokens such as "500lm"."""
    lowered = text.lower().replace("°", " °").replace("’", "'")
    for short, long in ABBREVIATIONS.items():
        lowered = re.sub(rf"\b(?:{short})\b", long, lowered)
    attributes: list[str] = []
    for prefix, name in PREFIX_ATTRIBUTES.items():  # "SPF 50+", "UK 9", "size 3"
        for match in re.finditer(rf"\b{prefix}\s*-?\s*(\d+(?:[.,]\d+)?)(\+?)", lowered):
            attributes.append(f"{name}{_number(match.group(1))}{match.group(2)}")
        lowered = re.sub(rf"\b{prefix}\s*-?\s*\d+(?:[.,]\d+)?\+?", " ", lowered)
    unit_names = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
    words_before = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    lowered = re.sub(
        rf"\b({words_before})\s*-?\s*(?=(?:{unit_names})\b)", lambda m: f"{NUMBER_WORDS[m.group(1)]:g} ", lowered
    )
    pattern = re.compile(rf"(-?\d+(?:[.,]\d+)?)\s*-?\s*({unit_names})(?![a-z])")
    for match in pattern.finditer(lowered):
        attributes.append(_measure(_number(match.group(1)), UNITS[match.group(2)]))
    lowered = pattern.sub(" ", lowered)
    raw = re.findall(r"[a-z][a-z']*|\d+(?:[.,]\d+)?", lowered)
    attributes += [f"size{w}" for w in raw if w in ("s", "m", "l")]  # letter sizes: "Rain Jacket M", "tee size S"
    words = []
    for word in raw:
        word = word.strip("'").removesuffix("'s")
        if word and word not in NOISE and len(word) > 1 and not word.isdigit():
            words.append(word)
    numbers = [f"#{_number(w)}" for w in raw if w[0].isdigit()]  # bare numbers: a hint, never required
    stems = [stem for stem in _STEMMER.stemWords(words) if stem not in NOISE_STEMS]
    return tuple(stems), tuple(attributes + numbers)


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, stopping early above `limit` (names are short; this runs per catalogue word)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _close(word: str, vocabulary: Iterable[str]) -> str | None:
    """The catalogue word a typed word means: the only one it is the start of ("vit" -> vitamin, "moist" ->
    moisturiser; 3+ letters), else one within 1 edit (5+ letters) or 2 (8+ letters), else the only one it
    abbreviates by dropping letters ("mtn" -> mountain, "blk" -> black, "wmns" -> women, "UL" -> ultralight)."""
    starts = [v for v in vocabulary if v.startswith(word)] if len(word) >= 3 else []
    if len(starts) == 1:  # before typos: "moist" is short for moisturiser, not a typo of "mist"
        return starts[0]
    limit = 2 if len(word) >= 8 else 1 if len(word) >= 5 else 0
    if limit:
        best = min(((edit_distance(word, v, limit), v) for v in vocabulary), default=(limit + 1, None))
        if best[0] <= limit:
            return best[1]
    if len(word) >= 2 and sum(c in "aeiouy" for c in word) <= 1:
        stem = word.removesuffix("s") if len(word) > 3 else word  # "wmns": the plural of "wmn"
        skeleton = [v for v in vocabulary if v[0] == word[0] and len(v) > len(stem) and _in_order(stem, v)]
        return skeleton[0] if len(skeleton) == 1 else None
    return None


def _compounds(words: tuple[str, ...], vocabulary: set[str]) -> tuple[str, ...]:
    """Words written apart or together unlike the catalogue: "head lamp" -> headlamp, "lipbalm" -> lip balm."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        joined = word + words[i + 1] if i + 1 < len(words) else ""
        if joined and joined not in vocabulary:
            joined = _STEMMER.stemWord(joined)
        if joined in vocabulary and word + words[i + 1] not in words:
            out.append(joined)
            i += 2
            continue
        if word not in vocabulary:
            split = [(word[:k], word[k:]) for k in range(3, len(word) - 2)]
            parts = next(((a, b) for a, b in split if a in vocabulary and b in vocabulary), None)
            if parts:
                out.extend(parts)
                i += 1
                continue
        out.append(word)
        i += 1
    return tuple(out)


def _in_order(letters: str, word: str) -> bool:
    """Are the letters all in the word, in this order ("mtn" in "mountain")?"""
    rest = iter(word)
    return all(letter in rest for letter in letters)


class Catalogue:
    """The products of one organisation as (sku, title, category), ready to resolve names against."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self.rows = sorted(rows)
        self.words: dict[str, set[str]] = {}
        self.attributes: dict[str, set[str]] = {}
        self.titles: dict[str, str] = {}
        document_frequency: dict[str, int] = {}
        for sku, title, category in self.rows:
            words, attributes = tokens(f"{title} {category}")
            self.words[sku], self.attributes[sku], self.titles[sku] = set(words), set(attributes), title
            for word in self.words[sku]:
                document_frequency[word] = document_frequency.get(word, 0) + 1
        total = max(len(self.rows), 1)
        self.idf = {w: log(1 + total / n) for w, n in document_frequency.items()}
        self.vocabulary = set(self.idf)

    def rank(self, text: str) -> list[Candidate]:
        """Every product that shares something with the text, best first; a score of 1 means it carries every
        word and attribute of the text (weighted by how rare each word is in the catalogue)."""
        return self._rank(text)[0]

    def _rank(self, text: str) -> tuple[list[Candidate], set[str], set[str]]:
        words, attributes = tokens(text)
        words = _compounds(words, self.vocabulary)
        known = {word if word in self.vocabulary else _close(word, self.vocabulary) or word for word in words}
        required = {a for a in attributes if not a.startswith("#")}
        hints = {a[1:] for a in attributes if a.startswith("#")}
        if not known and not required:
            return [], known, required
        unknown_weight = max(self.idf.values(), default=1.0)  # a word no product has counts as much as the rarest
        weights = {w: self.idf.get(w, unknown_weight) for w in known}
        total = sum(weights.values()) + 2.0 * len(required)
        scored = []
        for sku, title in self.titles.items():
            product_words, product_attributes = self.words[sku], self.attributes[sku]
            matched = sum(weight for w, weight in weights.items() if w in product_words)
            matched += 2.0 * len(required & product_attributes)
            if not matched:
                continue
            plain = {re.sub(r"[^\d.]", "", a) for a in product_attributes}
            score = matched / total + 0.01 * len(hints & plain)  # "Potjie pot 3" leans towards size 3
            scored.append(Candidate(sku, title, round(score, 4)))
        scored.sort(key=lambda c: (-c.score, c.sku))
        return scored, known, required

    def resolve(self, text: str, limit: int = 8) -> Resolution:
        scored, known, required = self._rank(text)
        complete = [c for c in scored if c.score >= 0.999]
        if len(complete) == 1:
            return Resolution(Verdict.match, text, complete)
        if len(complete) > 1:
            top = complete[0].score
            if top > complete[-1].score:  # a bare number of the text is a size only some carry ("serum 30")
                complete = [c for c in complete if c.score == top]
            if len(complete) == 1:
                return Resolution(Verdict.match, text, complete)
            exact = self._exact(complete, known, required)
            if exact is not None:
                return Resolution(Verdict.match, text, [exact])
            return Resolution(Verdict.ambiguous, text, complete[:limit])
        # Nothing carries every word and attribute: no match. The close ones are kept for the message, never used.
        return Resolution(Verdict.none, text, [c for c in scored if c.score >= 0.5][:limit])

    def _exact(self, complete: list[Candidate], words: set[str], attributes: set[str]) -> Candidate | None:
        """Among candidates that all match, the one with no variant detail beyond what was asked ("Protea
        handbag black" is the black one, not the mini black one); None when that is not exactly one."""
        extras = [(self.words[c.sku] - words) | (self.attributes[c.sku] - attributes) for c in complete]
        shared = set.intersection(*extras)
        plain = [c for c, extra in zip(complete, extras, strict=True) if not extra - shared]
        return plain[0] if len(plain) == 1 else None
