"""Open an HTML file in real headless Chromium and report what happened.

Used by tests/test_report_browser.py and benchmarks/report.py. Needs the Debian
packages ``chromium`` and ``chromium-driver`` and the PyPI package ``selenium``.

    python scripts/browser_check.py report.html --screenshot shot.png

prints a JSON object: load time, console errors, network requests, whether the
map rendered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_CANDIDATES = ("chromedriver",)


def find_chromium() -> tuple[str | None, str | None]:
    """Paths of the browser and of chromedriver (``None`` when missing)."""
    browser = next((shutil.which(c) for c in CHROMIUM_CANDIDATES if shutil.which(c)), None)
    driver = next((shutil.which(c) for c in DRIVER_CANDIDATES if shutil.which(c)), None)
    return browser, driver


def ensure_chromium(log: Path | None = None) -> tuple[str | None, str | None, str]:
    """Find Chromium + chromedriver, installing the Debian packages when possible.

    Returns ``(browser, driver, reason)``; ``reason`` explains a failure.
    """
    browser, driver = find_chromium()
    if browser and driver:
        return browser, driver, ""
    if not shutil.which("apt-get"):
        return None, None, "chromium/chromedriver missing and apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return None, None, "chromium/chromedriver missing and not root (apt-get install -y chromium chromium-driver)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        subprocess.run(["apt-get", "update"], check=False, stdout=out, stderr=out, env=env, timeout=600)
        res = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
            check=False, stdout=out, stderr=out, env=env, timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, None, f"apt-get install chromium failed: {exc}"
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    browser, driver = find_chromium()
    if browser and driver:
        return browser, driver, ""
    return None, None, f"apt-get install chromium chromium-driver failed (exit {res.returncode})"


def chromium_options(browser: str, user_data_dir: str, width: int = 1400, height: int = 1000) -> Any:
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--metrics-recording-only",
        "--mute-audio",
        # any request that is not file:/data:/blob: would go to a dead proxy and show up below
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return opts


_LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def check_html(
    path: str | os.PathLike[str],
    *,
    screenshot: str | os.PathLike[str] | None = None,
    browser: str | None = None,
    driver_path: str | None = None,
    wait_s: float = 30.0,
    map_selector: str = "#topic-map .main-svg, #topic-map canvas",
    scripts: dict[str, str] | None = None,
    async_scripts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Load ``path`` in headless Chromium; return timings, console errors and network requests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    if browser is None or driver_path is None:
        browser, driver_path = find_chromium()
    if not browser or not driver_path:
        raise RuntimeError("chromium / chromedriver not found")
    url = Path(path).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="textmine-chromium-") as profile:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=chromium_options(browser, profile))
        try:
            driver.set_page_load_timeout(wait_s)
            t0 = time.perf_counter()
            driver.get(url)
            t_load = time.perf_counter() - t0
            rendered = False
            deadline = time.perf_counter() + wait_s
            n_points = 0
            while time.perf_counter() < deadline:
                rendered = bool(driver.execute_script(
                    "return document.querySelectorAll(arguments[0]).length > 0", map_selector))
                if rendered:
                    n_points = int(driver.execute_script(
                        "return document.querySelectorAll('#topic-map .scatterlayer .point').length"))
                    break
                time.sleep(0.05)
            t_render = time.perf_counter() - t0
            timing = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0];"
                "return t ? {dcl: t.domContentLoadedEventEnd, load: t.loadEventEnd} : null;"
            )
            script_results = {}
            for name, js in (scripts or {}).items():
                script_results[name] = driver.execute_script(js)
                time.sleep(0.2)
            driver.set_script_timeout(wait_s)
            for name, js in (async_scripts or {}).items():
                # the script gets a callback as its last argument (Selenium's execute_async_script)
                script_results[name] = driver.execute_async_script(js)
            if screenshot is not None:
                height = int(driver.execute_script("return document.documentElement.scrollHeight"))
                driver.set_window_size(1400, max(1000, min(height + 40, 6000)))
                time.sleep(0.5)  # let plotly finish its transitions
                driver.save_screenshot(str(screenshot))
            console = driver.get_log("browser")
            perf = driver.get_log("performance")
            title = driver.title
        finally:
            driver.quit()
    errors = [e for e in console if e.get("level") in ("SEVERE", "ERROR")]
    requests: list[str] = []
    for entry in perf:
        try:
            msg = json.loads(entry["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            req_url = msg.get("params", {}).get("request", {}).get("url", "")
            if not req_url.startswith(_LOCAL_SCHEMES):
                requests.append(req_url)
    return {
        "title": title,
        "load_s": round(t_load, 3),
        "render_s": round(t_render, 3),
        "dom_content_loaded_ms": round(timing["dcl"], 1) if timing else None,
        "load_event_ms": round(timing["load"], 1) if timing else None,
        "map_rendered": rendered,
        "svg_points": n_points,
        "console_errors": [e.get("message", "") for e in errors],
        "console": [e.get("message", "") for e in console],
        "network_requests": requests,
        "scripts": script_results,
        "bytes": Path(path).stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("html")
    ap.add_argument("--screenshot")
    args = ap.parse_args(argv)
    browser, driver, reason = ensure_chromium()
    if not browser:
        print(reason, file=sys.stderr)
        return 1
    print(json.dumps(check_html(args.html, screenshot=args.screenshot, browser=browser, driver_path=driver), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
