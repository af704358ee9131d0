"""The demo catalogue is data (domain/demo_catalogue.json) and the seed generated from it is exactly what the
catalogue written as code generated: the same SKUs, prices, stock, orders and shipments, number for number.

The digest below was taken from the code version (commit 13ccd40) with the same fixed `now`. A deliberate change
of the demo data changes it: update it then, together with the README's demo-data table."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime
from typing import Any

from domain import demo

DIGEST_OF_THE_CODE_VERSION = "f2204e219f834bad06e3396eebf801ebc1d053285d69aabe319580784621d02b"
NOW = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


def _without_clock(value: Any) -> Any:
    """`updated_at` defaults to the wall clock when a model is built (the seed sets its own times)."""
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k != "updated_at"}
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def generated() -> dict[str, Any]:
    out: dict[str, Any] = {
        "warehouses": [w.model_dump(mode="json") for w in demo.WAREHOUSES],
        "keys": {key: [org, role.value] for key, (org, role) in demo.DEMO_KEYS.items()},
    }
    for org in demo.DEMO_ORGS:
        rng = random.Random(f"fluxori-demo-{org.id}")
        products = demo.build_products(org, rng)
        orders = demo.build_orders(products, rng, NOW)
        levels = demo.build_stock(products, orders, rng)
        shipments = demo.build_shipments(org, products, rng, NOW)
        out[org.id] = {
            "meta": [org.id, org.name, org.prefix, org.credits, [[u.id, u.name, u.role.value] for u in org.users]],
            "products": [p.model_dump(mode="json") for p in products],
            "orders": [o.model_dump(mode="json") for o in orders],
            "stock": [level.model_dump(mode="json") for level in levels],
            "shipments": [s.model_dump(mode="json") for s in shipments],
        }
    return _without_clock(out)


def test_the_seed_is_the_one_the_code_version_generated() -> None:
    data = generated()
    assert len(data["bergveld"]["products"]) == 202 and len(data["fynbos"]["products"]) == 200  # README table
    assert data["bergveld"]["products"][0]["sku"] == "BV-TENT-0001"
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    assert digest == DIGEST_OF_THE_CODE_VERSION


def test_the_catalogue_ships_with_the_package() -> None:
    assert demo.load_catalogue() == demo.CATALOGUE
    assert [w.code for w in demo.WAREHOUSES] == ["JHB", "CPT", "DBN"]
