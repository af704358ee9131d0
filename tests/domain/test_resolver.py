"""The product resolver: names with attributes as merchants type them -> one match, a short choice list, or none.
Against the demo catalogues as the seed writes them to the Firestore emulator."""

from __future__ import annotations

import pytest

from domain.catalog import ProductRepository
from domain.demo import seed
from domain.resolver import Catalogue, Verdict, as_asked, edit_distance, tokens
from domain.store import Store


@pytest.fixture(scope="module")
def products(emulator) -> ProductRepository:
    import uuid

    from domain.store import make_client

    store = Store.connect(make_client(f"test-{uuid.uuid4().hex[:12]}", emulator_host=emulator.address))
    seed(store)
    return ProductRepository(store)


@pytest.mark.parametrize(
    ("org", "text", "sku"),
    [
        ("bergveld", "Lumo Headlamp 500 lm", "BV-LAMP-0003"),
        ("bergveld", "lumo headlamp 500lm", "BV-LAMP-0003"),
        ("bergveld", "Karoo tunnel tent 6 person", "BV-TENT-0011"),
        ("bergveld", "drakensberg dome 4p", "BV-TENT-0003"),
        ("bergveld", "Drakensburg dome tent 3-person", "BV-TENT-0002"),  # a typo; "3-person", not "3-person sand"
        ("bergveld", "Veld vacuum flask 1.5L", "BV-FLASK-0004"),
        ("bergveld", "veld vacuum flask 1,5 litre", "BV-FLASK-0004"),
        ("bergveld", "Otter Trail backpack 65L women's fit", "BV-PACK-0005"),
        ("bergveld", "Otter Trail backpack 65 L", "BV-PACK-0004"),
        ("bergveld", "Magaliesberg leather boots UK 9", "BV-BOOT-0004"),
        ("bergveld", "Magaliesberg boots size 9", "BV-BOOT-0004"),
        ("bergveld", "Sani Pass mummy bag -10 expedition", "BV-SLEEP-0017"),
        ("bergveld", "Veld rechargeable lantern USB-C 1200 lm", "BV-LAMP-0011"),
        ("bergveld", "move 6 Lumo Headlamp 350 lm from to the", "BV-LAMP-0002"),
        ("fynbos", "Kaapse Son SPF 50 200ml", "FG-SUN-0003"),
        ("fynbos", "Sport SPF 50+ 100 ml", "FG-SUN-0014"),
        ("fynbos", "Everyday Mineral SPF30 tinted", "FG-SUN-0010"),
        ("fynbos", "Protea leather handbag black", "FG-BAG-0002"),  # not the mini black one
        ("fynbos", "Protea leather handbag mini black", "FG-BAG-0006"),
        ("fynbos", "rooibos clay face mask 10 pack", "FG-MASK-0003"),
        ("fynbos", "Jasmine Night EDT 50ml", "FG-PERF-0007"),
        ("fynbos", "Rooibos lip balm SPF 15", "FG-LIP-0005"),
        ("bergveld", "Veld logo tee XXL", "BV-TEE-0011"),  # the catalogue says "T-shirt": the same garment
        ("bergveld", "Karoo tunnel tent 6 sleeper", "BV-TENT-0011"),
        ("bergveld", "drakensburg dome tent 4 persn", "BV-TENT-0003"),
        ("fynbos", "rooibos vit c serum 30ml", "FG-SERUM-0002"),  # "vit": the only catalogue word it starts
        # abbreviations by dropped letters, written-out sizes, request words around the name
        ("bergveld", "Table Mtn softshell ladies L", "BV-JACK-0014"),
        ("bergveld", "Hoerikwaggo rain jkt wmns med", "BV-JACK-0006"),
        ("bergveld", "cederberg UL tent 6 person", "BV-TENT-0018"),
        ("bergveld", "Berg cotton tee extra large", "BV-TEE-0004"),
        ("fynbos", "honeybush gel moist. 50ml", "FG-MOIST-0011"),  # short for moisturiser, not a typo of "mist"
        ("fynbos", "retinol night serum travel 10ml, anything in the", "FG-SERUM-0023"),
        ("bergveld", "checking quickly - karoo tunnel tent 4 person", "BV-TENT-0010"),
        # a bare number that only one of the matching products carries is its size
        ("bergveld", "Kilimanjaro expedition pack 80", "BV-PACK-0018"),
        ("fynbos", "green tea essence refill 500", "FG-TONER-0013"),
        # units written another way, number words, Afrikaans colours, words joined or split, "lite"
        ("bergveld", "trail bottle 1500ml", "BV-FLASK-0009"),
        ("fynbos", "baobab hair oil 0,5 l", "FG-HAIR-0004"),
        ("bergveld", "karoo tunnel tent two-person", "BV-TENT-0008"),
        ("bergveld", "drakensberg dome tent 2 man groen", "BV-TENT-0005"),
        ("fynbos", "protea leather handbag swart", "FG-BAG-0002"),
        ("bergveld", "lumo head lamp 500 lumen", "BV-LAMP-0003"),
        ("fynbos", "rooibos lipbalm berry", "FG-LIP-0002"),
        ("bergveld", "cederburg ultralite tent 3 persoon sand", "BV-TENT-0020"),
    ],
)
def test_one_clear_match(products: ProductRepository, org: str, text: str, sku: str) -> None:
    resolution = products.resolve(org, text)
    assert resolution.verdict == Verdict.match, resolution
    assert resolution.sku == sku


@pytest.mark.parametrize(
    ("org", "text", "expected"),
    [
        ("bergveld", "Kalahari cooler boxes", {f"BV-COOL-000{i}" for i in range(1, 7)}),
        ("bergveld", "potjie pot", {f"BV-BRAAI-00{i:02d}" for i in range(6, 11)}),
        ("fynbos", "Retinol Night Serum", {f"FG-SERUM-00{i}" for i in range(19, 25)}),
    ],
)
def test_several_close_ones_are_a_choice_list(
    products: ProductRepository, org: str, text: str, expected: set[str]
) -> None:
    resolution = products.resolve(org, text)
    assert resolution.verdict == Verdict.ambiguous and resolution.sku is None
    assert {c.sku for c in resolution.candidates} == expected
    assert all(c.score >= 0.999 for c in resolution.candidates)


@pytest.mark.parametrize(
    ("org", "text"),
    [
        ("bergveld", "Sossusvlei hammock"),
        ("bergveld", "Lumo headlamp 650 lm"),  # the name exists, the variant does not: no substitute
        ("fynbos", "Kalahari cooler box 40 L"),  # another organisation's product, sharing one word with a cream
        ("fynbos", "Kalahari cooler box"),
    ],
)
def test_no_match_is_never_a_substitute(products: ProductRepository, org: str, text: str) -> None:
    resolution = products.resolve(org, text)
    assert resolution.verdict == Verdict.none and resolution.sku is None


def test_ranking_scores_order_candidates() -> None:
    catalogue = Catalogue(
        [("A-1", "Trail Bottle 750 ml", "flasks"), ("A-2", "Trail Bottle matte black 750 ml", "flasks")]
    )
    ranked = catalogue.rank("trail bottle matte black")
    assert [c.sku for c in ranked] == ["A-2", "A-1"] and ranked[0].score == 1.0 > ranked[1].score
    assert catalogue.resolve("Trail Bottle 750 ml").sku == "A-1"  # the plain one, exactly as named


def test_attributes_keep_their_numbers() -> None:
    words, attributes = tokens("Kaapse Son SPF 50 200ml, 2-person, UK 9, 10-pack, 1.5 L, 350 lumen, -5 °C")
    assert {"spf50", "200ml", "2person", "size9", "10pack", "1.5l", "350lm", "-5c"} <= set(attributes)
    # one spelling per measure: 1500 ml is 1.5 L, half a litre is 500 ml
    assert tokens("1500ml")[1] == tokens("1,5 L")[1] == ("1.5l",)
    assert tokens("0.5 litre")[1] == tokens("500 ml")[1] == ("500ml",)
    assert {"kaaps", "son"} <= set(words)


def test_edit_distance() -> None:
    assert edit_distance("drakensburg", "drakensberg") == 1
    assert edit_distance("kitten", "sitting") == 3 > 2  # stops early above the limit
    assert edit_distance("same", "same") == 0


def test_the_catalogue_is_read_again_after_a_change(products: ProductRepository) -> None:
    from domain.catalog import Product

    assert products.resolve("bergveld", "Namib hammock").verdict == Verdict.none
    products.upsert(
        "bergveld", Product(sku="BV-HAMM-0001", title="Namib Hammock double", category="hammocks", price_cents=49900)
    )
    assert products.resolve("bergveld", "Namib hammock").sku == "BV-HAMM-0001"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("how much stock of the camping chairs in ?", "camping chairs"),
        ("do we have any yoga mats in", "yoga mats"),
        ("how many hiking poles do we have", "hiking poles"),
        ("what's left of the braai master tee", "braai master tee"),
        ("dome tent in green", "dome tent in green"),  # words between are kept
        ("Sport SPF 50+", "Sport SPF 50+"),
        ("the", "the"),  # nothing but request words: the text as it is
    ],
)
def test_as_asked_drops_request_words_at_the_ends(text: str, words: str) -> None:
    assert as_asked(text) == words
