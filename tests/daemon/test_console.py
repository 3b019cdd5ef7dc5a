"""The operator console in a real headless browser (Debian's chromium driven by Playwright) against a real
GateDaemon: API on a free port, a snapshot-folder camera, SQLite history in a temp dir, MQTT off.

The operator creates the first account on the login screen, sees a car's event arrive live, the camera's
tile, finds the car in history by part of its plate, puts it on the allow list and sees the next visit open
the barrier, records a plate by hand and by photo, manages accounts, and signs out (the API then answers 401).
A screenshot of each screen goes to tests/artifacts/console/ (phone-sized, dark theme, plus one desktop).

Needs ``/usr/bin/chromium`` (apt-get install chromium) and the ``playwright`` package (its bundled driver only:
never ``playwright install``). Skips without them, fails under CARWATCH_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.app import GateDaemon
from tests.daemon.conftest import CAR, PLATE, cameras_up, daemon_settings, drop, folder_camera, running, wait_for

try:
    from playwright.sync_api import BrowserContext, Page, ViewportSize, expect, sync_playwright
    HAVE_PLAYWRIGHT = True
except ImportError:  # the test skips, or fails under CARWATCH_REQUIRE_SERVICES=1
    HAVE_PLAYWRIGHT = False

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
PHONE: ViewportSize = {"width": 412, "height": 915}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PASSWORD = "gate keeper 1"


def require_browser() -> None:
    """Skip (or fail under CARWATCH_REQUIRE_SERVICES=1) without chromium or the playwright package."""
    missing = []
    if not HAVE_PLAYWRIGHT:
        missing.append("the playwright package (pip install playwright)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if os.environ.get("CARWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh headless Chromium profile, phone-sized, dark, touch."""
    require_browser()
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=PHONE, has_touch=True, color_scheme="dark", locale="en-GB", timezone_id="UTC",
            service_workers="block")
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def images_loaded(page: Page, selector: str) -> None:
    """Wait until every picture under ``selector`` is there (an event's files may land just after it)."""
    page.wait_for_function(
        "s => { const all = [...document.querySelectorAll(s)];"
        " return all.length > 0 && all.every(i => i.complete && i.naturalWidth > 1); }", arg=selector)


@dataclass
class Gate:
    """The daemon under test and the browser tab on its console."""

    daemon: GateDaemon
    page: Page
    origin: str
    folder: Path
    lists_file: Path


def test_an_operator_runs_the_gate_from_a_phone(tmp_path: Path, browser: BrowserContext) -> None:
    folder, data = tmp_path / "drop", tmp_path / "data"
    settings = daemon_settings(data, cameras=[folder_camera("gate", folder)], plate_lists=data / "plates.toml",
                               api={"port": 0, "bcrypt_rounds": 4}, tracking={"repeat_window_s": 0})
    problems: list[str] = []
    requests: list[str] = []
    with running(settings) as daemon:
        assert daemon._api is not None
        cameras_up(daemon)
        page = browser.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and "Failed to load resource" not in m.text else None)  # a picture not written yet: retried
        page.on("request", lambda r: requests.append(r.url))
        gate = Gate(daemon, page, daemon._api.url, folder, data / "plates.toml")
        sign_in_as_the_first_account(gate)
        see_a_car_arrive_live(gate)
        see_the_camera(gate)
        find_the_car_in_history(gate)
        allow_the_car(gate)
        see_the_barrier_open(gate)
        record_plates(gate)
        manage_accounts(gate)
        sign_out(gate, browser)
    assert not problems, problems  # no script error, no Content-Security-Policy violation
    assert requests and all(u.startswith(f"{gate.origin}/") or u.startswith("data:") for u in requests), requests


def sign_in_as_the_first_account(gate: Gate) -> None:
    """The sign-in screen; the first account becomes the administrator."""
    page = gate.page
    page.goto(f"{gate.origin}/")
    expect(page.locator("#login")).to_be_visible()
    shot(page, "01-login")
    page.fill("#login-form [name=username]", "admin")
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#first-account")
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#who")).to_have_text("admin (admin)")
    expect(page.locator("#live-state")).to_have_text("live")


def see_a_car_arrive_live(gate: Gate) -> None:
    """A car arrives: its event appears on the live screen (not on any list yet)."""
    drop(gate.folder, CAR)
    first = gate.page.locator(f"#live-events .card[data-plate={PLATE}][data-stage=final]")
    expect(first).to_have_attribute("data-reason", "unknown")
    expect(first).to_have_attribute("data-open", "false")
    images_loaded(gate.page, "#live-events img")


def see_the_camera(gate: Gate) -> None:
    gate.page.click("#tabs [data-tab=cameras]")
    tile = gate.page.locator("#camera-tiles [data-camera=gate]")
    expect(tile.locator(".badge")).to_have_text("up")
    expect(tile).to_contain_text("s ago")
    shot(gate.page, "03-cameras")


def find_the_car_in_history(gate: Gate) -> None:
    """History searched by part of the plate (lower case: the page normalises it)."""
    page = gate.page
    page.click("#tabs [data-tab=history]")
    page.fill("#history-form [name=plate]", "58dt")
    page.click("#history-form button[type=submit]")
    expect(page.locator(f"#history-rows .row[data-plate={PLATE}]")).to_have_count(1)
    expect(page.locator("#history-summary")).to_have_text("1–1 of 1")
    images_loaded(page, "#history-rows img")
    shot(page, "04-history")
    page.fill("#history-form [name=plate]", "ZZZ9")
    page.click("#history-form button[type=submit]")
    expect(page.locator("#history-summary")).to_have_text("0–0 of 0")


def allow_the_car(gate: Gate) -> None:
    """The car goes on the allow list for 30 days, written to the file the daemon watches."""
    page = gate.page
    page.click("#tabs [data-tab=lists]")
    today = dt.date.today()
    form = page.locator("#list-form")
    form.locator("[name=list]").select_option("allow")
    form.locator("[name=plate]").fill(PLATE.lower())
    form.locator("[name=name]").fill("Ana Popescu")
    form.locator("[name=valid_from]").fill(today.isoformat())
    form.locator("[name=valid_until]").fill((today + dt.timedelta(days=30)).isoformat())
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#lists .row[data-list=allow][data-plate={PLATE}]")).to_contain_text("Ana Popescu")
    shot(page, "05-lists")
    assert PLATE in gate.lists_file.read_text(encoding="utf-8")
    wait_for(lambda: gate.daemon.matcher().is_listed(PLATE, "gate"), what="the new list entry in force")


def see_the_barrier_open(gate: Gate) -> None:
    """The same car again: the daemon's decision is now "allowed", the barrier opens."""
    page = gate.page
    page.click("#tabs [data-tab=live]")
    drop(gate.folder, CAR)
    opened = page.locator("#live-events .card[data-open=true][data-stage=final]")
    expect(opened).to_have_attribute("data-reason", "allowed")
    expect(opened).to_contain_text("OPEN")
    expect(page.locator("#live-events .card")).to_have_count(2)
    images_loaded(page, "#live-events img")
    shot(page, "02-live")
    page.set_viewport_size(DESKTOP)
    shot(page, "02-live-desktop")
    page.set_viewport_size(PHONE)


def record_plates(gate: Gate) -> None:
    """A plate recorded by hand, and one read from a photo through the upload form."""
    page = gate.page
    page.click("#tabs [data-tab=record]")
    page.fill("#manual-form [name=plate_number]", "cj 10 abc")
    page.click("#manual-form button[type=submit]")
    expect(page.locator("#record-result")).to_have_text("Recorded CJ10ABC (entering).")
    page.set_input_files("#upload-form [name=image]", str(CAR))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#record-result")).to_have_text(f"Read and recorded {PLATE}.")
    shot(page, "06-record")


def manage_accounts(gate: Gate) -> None:
    """The administrator adds an operator and removes it again (two taps)."""
    page = gate.page
    page.click("#tabs [data-tab=accounts]")
    expect(page.locator("#users [data-user=admin]")).to_contain_text("you")
    page.fill("#user-form [name=username]", "night-guard")
    page.fill("#user-form [name=password]", "long enough 1")
    page.click("#user-form button[type=submit]")
    guard = page.locator("#users [data-user=night-guard]")
    expect(guard).to_contain_text("operator")
    shot(page, "07-accounts")
    guard.locator("button").click()
    guard.locator("button").click()
    expect(guard).to_have_count(0)


def sign_out(gate: Gate, browser: BrowserContext) -> None:
    """Back to the sign-in screen, and the API refuses this browser from then on."""
    page = gate.page
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-message")).to_have_text("Signed out.")
    assert page.evaluate("fetch('/api/history', {credentials: 'same-origin'}).then(r => r.status)") == 401
    assert page.request.get(f"{gate.origin}/api/history").status == 401
    assert not [c for c in browser.cookies() if c["name"] == "carwatch_session"]
    page.close()
