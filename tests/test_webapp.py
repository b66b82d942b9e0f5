"""The web app's server side (/app): its page, the service worker's release, the manifest, the
CSP, and the rules its files keep. The app itself is driven in tests/browser/test_webapp.py."""

import hashlib
import json
import re
import shutil
from pathlib import Path

from portal.therapist_db.generator import SCHEMA_VERSION
from portal.webapp import assets

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "portal/static"


def test_only_the_app_s_pages_may_compile_webassembly(client):
    page = client.get("/app/")
    assert page.status_code == 200
    assert "script-src 'self' 'wasm-unsafe-eval'" in page.headers["Content-Security-Policy"]
    for other in ("/hilfe", "/anmelden", "/api/app/v1/openapi.json", "/static/app/main.js"):
        policy = client.get(other).headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "wasm" not in policy, other
    assert client.get("/app").status_code == 308  # /app/ is the app's scope


def test_the_page_hands_in_its_words_and_addresses_and_holds_no_data(client):
    html = client.get("/app/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="app-config">(.*?)</script>', html).group(1))
    assert config["api"] == "/api/app/v1" and config["syncMinutes"] == 15
    assert config["texts"]["blocked_deactivated"] == ("Ihre Praxis hat die App-Nutzung deaktiviert – Sie sehen den "
                                                      "letzten Stand, die Synchronisierung ist gesperrt")
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html
    assert html.count("<template id=") == 6 and "<script>" not in html  # no inline script
    english = client.get("/app/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Sign in" in english


def test_the_service_worker_keeps_one_release_of_exactly_the_served_files(client):
    page = client.get("/app/").get_data(as_text=True)
    worker = client.get("/app/sw.js")
    assert worker.headers["Cache-Control"] == "no-cache" and worker.mimetype == "text/javascript"
    script = worker.get_data(as_text=True)
    version = re.search(r'<meta name="app-version" content="([0-9a-f]{16})">', page).group(1)
    assert f'const VERSION = "{version}";' in script
    files = dict(re.findall(r'"(/static/[^"]+)": "([0-9a-f]{64})"', script))
    assert "/static/vendor/sql-wasm-1.16.0.wasm" in files and "/static/app/main.js" in files
    assert {f"/static/app/{path.name}" for path in (STATIC / "app").iterdir()} <= set(files)
    for url, digest in files.items():
        assert hashlib.sha256(client.get(url).data).hexdigest() == digest, url
    assert "/api/" not in script  # the API is never cached


def test_a_changed_file_makes_a_new_release(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    before = assets.release(str(static), str(ROOT / "portal"))
    (static / "app/agenda.js").write_text((static / "app/agenda.js").read_text() + "\n// next release\n")
    after = assets.release(str(static) + "/", str(ROOT / "portal"))  # another key: not the cached release
    assert after.version != before.version
    assert after.files["app/agenda.js"] != before.files["app/agenda.js"]
    assert after.files["app/main.js"] == before.files["app/main.js"]


def test_the_manifest_makes_the_app_installable(client):
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == body["scope"] == "/app/" and body["display"] == "standalone"
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_app_reads_the_schema_the_generator_writes():
    declared = re.search(r"export const SCHEMA_VERSION = (\d+);", (STATIC / "app/db.js").read_text()).group(1)
    assert int(declared) == SCHEMA_VERSION


def test_the_app_s_modules_stay_small_and_talk_to_nobody_else():
    for module in (STATIC / "app").glob("*.js"):
        source = module.read_text()
        assert len(source.splitlines()) <= 200, module.name
        assert not re.search(r"https?://", source), f"{module.name}: an address of another site"
        assert "localStorage" not in source and "document.cookie" not in source, module.name
        assert "createElement" not in source, f"{module.name}: markup belongs in the page's <template> elements"


def test_the_vendored_sql_js_is_the_one_the_vendoring_script_checks():
    script = (ROOT / "tools/vendor-assets.sh").read_text()
    pinned = dict((name.split("/")[-1], digest) for digest, name in re.findall(r"([0-9a-f]{64})  (\S+)", script))
    for vendored, original in (("sql-wasm-1.16.0.js", "sql-wasm.js"), ("sql-wasm-1.16.0.wasm", "sql-wasm.wasm")):
        assert hashlib.sha256((STATIC / "vendor" / vendored).read_bytes()).hexdigest() == pinned[original]
