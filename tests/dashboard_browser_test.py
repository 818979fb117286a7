#!/usr/bin/python3
"""The dashboard page in a real browser: headless Chromium (Debian's chromium
and chromium-driver, driven by python3-selenium) loads the page from a
running `krgdemo dashboard --allow-control`, checks that there is no console
error, that the node bars update, that starting a mandelbrot run from the
page makes its tiles appear and verify, and that past results are charted.
Screenshots at 1280x720 and 1920x1080 (projectors) are saved as test
artifacts; at both sizes the page must fit the window (no scroll bar) and the
node lanes must fill their column (issue 20: half of it was empty).

Usage: dashboard_browser_test.py KRGDEMO_BIN SCREENSHOT_DIR
Fails, never skips, when Chromium or its driver is missing.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

KRGDEMO = None
SHOTS = None
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [p for p in (CHROMIUM, DRIVER) if not os.access(p, os.X_OK)]
        if missing:
            raise AssertionError(
                "missing %s: install the Debian packages chromium and "
                "chromium-driver (make deps)" % ", ".join(missing))
        try:
            from selenium import webdriver  # noqa: F401
        except ImportError as e:
            raise AssertionError("python3-selenium is missing (make deps): %s"
                                 % e)
        cls.tmp = tempfile.mkdtemp(prefix="krg_dash_browser_")
        # A real scale result for the past-results page.
        scale = subprocess.run(
            [KRGDEMO, "scale", "mandelbrot", "--size", "test", "--nodes",
             "1,2", "--repeat", "3", "--out",
             os.path.join(cls.tmp, "results", "scale")],
            capture_output=True, text=True, timeout=120)
        if scale.returncode != 0:
            raise AssertionError("krgdemo scale failed: " + scale.stderr)
        cls.out = open(os.path.join(cls.tmp, "dashboard.out"), "w+")
        cls.err = open(os.path.join(cls.tmp, "dashboard.err"), "w+")
        cls.dash = subprocess.Popen(
            [KRGDEMO, "dashboard", "--port", "0", "--allow-control",
             "--nodes", "2", "--results", os.path.join(cls.tmp, "results"),
             "--exit-after", "110"], stdout=cls.out, stderr=cls.err)
        cls.url = None
        deadline = time.monotonic() + 20
        while cls.url is None and time.monotonic() < deadline:
            cls.out.seek(0)
            # The whole URL: it carries the control token.
            m = re.search(r"(http://127\.0\.0\.1:\d+/\S*)", cls.out.read())
            if m:
                cls.url = m.group(1)
            elif cls.dash.poll() is not None:
                break
            time.sleep(0.05)
        if cls.url is None:
            cls.err.seek(0)
            cls.tearDownClass()
            raise AssertionError("the dashboard did not start: " +
                                 cls.err.read())
        cls.driver = cls.start_browser()

    @classmethod
    def start_browser(cls):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,720",
                    "--user-data-dir=" + os.path.join(cls.tmp, "profile")):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
        cls.set_size(driver, 1280, 720)
        return driver

    @staticmethod
    def set_size(driver, width, height):
        """The page as a projector of that resolution shows it."""
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1,
            "mobile": False})

    def check_layout(self, name):
        """At the current size: nothing scrolls, the lanes fill at least
        half of the nodes column, the picture is at least a third of the
        window high; a screenshot named `name`."""
        self.wait_for("the lanes to be rebuilt for this size", """
            const s = document.getElementById('nodes').getBoundingClientRect();
            const lanes = document.querySelectorAll('#nodes rect.lane');
            if (!lanes.length) return false;
            const g = lanes[lanes.length - 1].getBoundingClientRect();
            return g.bottom > s.top + 0.5 * s.height;""", timeout=10)
        got = self.js("""
            const col = document.getElementById('cluster').getBoundingClientRect();
            const lanes = [...document.querySelectorAll('#nodes rect.lane')]
                .map(r => r.getBoundingClientRect());
            const pic = document.getElementById('picture-box')
                .getBoundingClientRect();
            return {scroll: document.documentElement.scrollHeight
                        - window.innerHeight,
                    lanes: (lanes[lanes.length - 1].bottom - lanes[0].top)
                        / col.height,
                    picture: pic.height / window.innerHeight};""")
        self.shot(name)
        self.assertLessEqual(got["scroll"], 0, got)
        self.assertGreater(got["lanes"], 0.5, got)
        self.assertGreater(got["picture"], 0.33, got)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "driver", None):
            cls.driver.quit()
        if cls.dash.poll() is None:
            cls.dash.send_signal(signal.SIGTERM)
        try:
            cls.dash.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.dash.kill()
            cls.dash.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def js(self, script):
        return self.driver.execute_script(script)

    def wait_for(self, what, script, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.1)
        self.shot("timeout")
        self.fail("timed out waiting for " + what)

    def shot(self, name):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name + ".png")
        self.driver.save_screenshot(path)
        print("screenshot:", path)

    def console_errors(self):
        return [e for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE"]

    def start_run(self, size):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
        d = self.driver
        Select(d.find_element(By.ID, "f-demo")).select_by_value("mandelbrot")
        Select(d.find_element(By.ID, "f-size")).select_by_visible_text(size)
        Select(d.find_element(By.ID, "f-engine")).select_by_visible_text(
            "procs")
        nodes = d.find_element(By.ID, "f-nodes")
        nodes.clear()
        nodes.send_keys("2")
        d.find_element(By.ID, "f-start").click()

    def drag_a_worker(self):
        """Drags a worker chip onto the other lane, as a presenter would
        (by position: chips are redrawn as processes come and go)."""
        from selenium.webdriver.common.actions.action_builder import (
            ActionBuilder)
        d = self.driver
        pid, node, x, y, to_x, to_y = self.js("""
            const c = document.querySelector('#procs .proc.worker');
            const r = c.getBoundingClientRect();
            const l = document.querySelector('#nodes g.node:not([data-node="'
                + c.dataset.node + '"]) rect.lane').getBoundingClientRect();
            return [c.dataset.pid, c.dataset.node, r.x + r.width / 2,
                    r.y + r.height / 2, l.x + l.width / 2,
                    l.y + l.height / 2];""")
        drag = ActionBuilder(d)
        drag.pointer_action.move_to_location(int(x), int(y))
        drag.pointer_action.pointer_down()
        drag.pointer_action.pause(0.2)
        drag.pointer_action.move_to_location(int(to_x), int(to_y))
        drag.pointer_action.pause(0.2)
        drag.pointer_action.pointer_up()
        drag.perform()
        self.shot("2-dragged")
        message = self.wait_for("the migration request", "return document."
                                "getElementById('message').textContent")
        self.assertIn("Moving process %s to node" % pid, message)
        entry = self.wait_for(
            "the migration in the log",
            "return [...document.querySelectorAll('#migrations li')].map("
            "li => li.textContent).find(t => t.includes('process %s:'))"
            % pid, timeout=30)
        self.assertIn("node %s →" % node, entry)

    def test_live_page_run_tiles_and_results(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
        d = self.driver
        d.get(self.url)
        self.assertEqual(d.title, "krgdemo dashboard")
        # Count every update of the CPU bars, whether or not its value moved.
        self.wait_for("the node bars",
                      "return document.querySelectorAll('.bar-cpu').length")
        self.js("""window.barUpdates = 0;
            const o = new MutationObserver(m => window.barUpdates += m.length);
            o.observe(document.getElementById('nodes'), {subtree: true,
              attributes: true, attributeFilter: ['data-load']});""")
        self.wait_for("4 state events",
                      "return Number(document.body.dataset.states) >= 4")
        self.assertEqual(self.js(
            "return document.querySelectorAll('.bar-cpu').length"), 2)
        self.assertEqual(d.find_element(By.ID, "conn").text, "live")
        self.assertEqual(d.find_element(By.ID, "mode").text, "control on")
        self.wait_for("bar updates", "return window.barUpdates >= 4")
        loads = self.js("return [...document.querySelectorAll('.bar-cpu')]"
                        ".map(b => Number(b.getAttribute('data-load')))")
        for load in loads:
            self.assertTrue(0 <= load <= 1, loads)
        self.assertIn("mem", self.js(
            "return document.querySelector('#nodes').textContent"))
        # (Read in the page: the gauge is redrawn with every snapshot.)
        self.assertRegex(self.js("return document.getElementById('balance')"
                                 ".textContent"), r"^\d+%$")
        self.shot("1-idle")

        # Start a long run, drag one of its workers onto the other node,
        # see the migration logged, and stop the run from the page.
        self.wait_for("the demo list", "return document.getElementById("
                      "'f-size').options.length === 4")
        self.start_run("large")
        self.wait_for("two workers", "return document.querySelectorAll("
                      "'#procs .proc.worker').length === 2")
        self.drag_a_worker()
        d.find_element(By.ID, "f-stop").click()
        self.wait_for("the run to stop", "return /stopped early|exited/"
                      ".test(document.getElementById('run-status')"
                      ".textContent)", timeout=30)

        # A medium run: its picture fills in and it verifies.
        deadline = time.monotonic() + 30
        while True:  # the stopped run may still be ending
            self.start_run("medium")
            time.sleep(0.3)
            message = d.find_element(By.ID, "message").text
            if "already" not in message or time.monotonic() > deadline:
                break
        self.assertIn("Started mandelbrot", message)
        self.wait_for("the first tiles of the medium run",
                      "return document.getElementById('run-title')"
                      ".textContent.includes('medium') && Number(document."
                      "getElementById('picture').dataset.tiles) > 0")
        self.shot("3-tiles")
        self.wait_for("the run to verify", "return document.getElementById("
                      "'run-status').textContent.includes('verified')")
        progress = d.find_element(By.ID, "progress-text").text
        m = re.match(r"pass 1: (\d+) / (\d+) units", progress)
        self.assertIsNotNone(m, progress)
        self.assertEqual(m.group(1), m.group(2))
        tiles = int(self.js(
            "return document.getElementById('picture').dataset.tiles"))
        self.assertEqual(tiles, int(m.group(2)))  # medium: a tile per band
        # The picture is filled in: nearly every pixel was drawn.
        drawn = self.js("""const c = document.getElementById('picture');
            const px = c.getContext('2d').getImageData(0, 0, c.width,
                                                        c.height).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) n += px[i] > 0;
            return n / (c.width * c.height);""")
        self.assertGreater(drawn, 0.99)
        self.assertIn("mandelbrot · medium · procs · 2 nodes",
                      d.find_element(By.ID, "run-title").text)
        self.assertTrue(d.find_elements(By.CSS_SELECTOR, "#per-node span"))
        # The bar says what its text says (it ran ahead of it, issue 20).
        bar = self.js("""const b = document.getElementById('progress-bar');
            return b.getBoundingClientRect().width /
                b.parentElement.getBoundingClientRect().width;""")
        self.assertAlmostEqual(bar, 1.0, delta=0.02)
        # Node marks do not hide the fractal: with them on, at least 90%
        # of the pixels are the picture's own (the old tint changed all).
        changed = self.js("""const c = document.getElementById('picture');
            const box = document.getElementById('f-tint');
            const grab = () => c.getContext('2d').getImageData(
                0, 0, c.width, c.height).data;
            box.checked = false; box.dispatchEvent(new Event('change'));
            const plain = grab();
            box.checked = true; box.dispatchEvent(new Event('change'));
            const framed = grab();
            let n = 0;
            for (let i = 0; i < plain.length; i += 4) {
              n += plain[i] !== framed[i] || plain[i + 1] !== framed[i + 1]
                || plain[i + 2] !== framed[i + 2];
            }
            return n / (plain.length / 4);""")
        self.assertGreater(changed, 0, "no node mark drawn")
        self.assertLess(changed, 0.10)
        self.check_layout("4-verified-1280x720")
        self.set_size(d, 1920, 1080)
        self.check_layout("4-verified-1920x1080")
        self.set_size(d, 1280, 720)

        # Past results: the run just made is charted.
        d.find_element(By.ID, "tab-results").click()
        self.wait_for("a speedup chart",
                      "return document.querySelectorAll('.chart').length")
        charts = d.find_element(By.ID, "charts").text
        self.assertIn("mandelbrot · medium · procs", charts)
        self.assertIn("mandelbrot · test · procs", charts)  # the scale
        # The scale is a curve; the single run is a line of the table, not
        # a one-point "2.00×" curve.
        self.assertEqual(self.js(
            "return document.querySelectorAll('.chart svg').length"), 1)
        self.assertIn("mandelbrot · medium · procs", d.find_element(
            By.CSS_SELECTOR, ".singles").text)
        # Every label of the curve inside its chart.
        clipped = self.js("""return [...document.querySelectorAll(
            '.chart svg text')].filter(t => {
              const b = t.getBBox(), v = t.ownerSVGElement.viewBox.baseVal;
              return b.x < 0 || b.y < 0 || b.x + b.width > v.width ||
                     b.y + b.height > v.height; }).map(t => t.textContent);""")
        self.assertEqual(clipped, [])
        self.shot("5-results")
        self.set_size(d, 1920, 1080)
        self.shot("5-results-1920x1080")
        self.set_size(d, 1280, 720)

        errors = self.console_errors()
        self.assertEqual(errors, [], "console errors: %s" % errors)


if __name__ == "__main__":
    KRGDEMO, SHOTS = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
