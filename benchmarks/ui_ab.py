"""Before/after of the web UI on a loaded machine: the same turn in headless Chromium against two running servers
(e.g. main's code and a branch's), alternating turn by turn, so both see the same load; the API turn of each too.

Start each server like `ui_vs_api.py` does (`ui_vs_api.py --serve PORT EMULATOR DATA_DIR`, with PYTHONPATH set to
the checkout to measure), then:
`.venv/bin/python benchmarks/ui_ab.py --a http://127.0.0.1:8161 --b http://127.0.0.1:8160 [--rounds 4]`
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_vs_api import CHROMIUM, KEY, QUESTIONS, api_turn, browser_turn, pct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="base URL of the first server (e.g. main)")
    parser.add_argument("--b", required=True, help="base URL of the second server (e.g. the branch)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    servers = {"a": args.a, "b": args.b}
    times: dict[str, list[float]] = {f"{s} {p}": [] for s in servers for p in ("api", "browser", "first text")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
        )
        pages, apis = {}, {}
        for name, base in servers.items():
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/ui/")
            page.locator("#signin-key input").fill(KEY)
            page.locator("#signin-button").click()
            page.locator("#signin-status", has_text="Signed in").wait_for()
            pages[name] = page
            apis[name] = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)
        for question in QUESTIONS:  # warm-up
            for name in servers:
                api_turn(apis[name], question)
                browser_turn(pages[name], question)
        for _ in range(args.rounds):
            for question in QUESTIONS:
                for name in servers:
                    times[f"{name} api"].append(api_turn(apis[name], question)[1])
                    first, total = browser_turn(pages[name], question)
                    times[f"{name} browser"].append(total)
                    times[f"{name} first text"].append(first)
        browser.close()
    for label, values in times.items():
        print(f"{label:<14} p50 {statistics.median(values) * 1000:>7,.0f} ms   p90 {pct(values, 0.9) * 1000:>7,.0f} ms")
    for name, base in servers.items():
        ratio = statistics.median(times[f"{name} browser"]) / statistics.median(times[f"{name} api"])
        print(f"{name} ({base}): browser / API {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
