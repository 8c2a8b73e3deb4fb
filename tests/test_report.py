from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner

import sellglobal
from sellglobal import SchemaError
from sellglobal.cli import cli, demo_dir
from sellglobal.project import load_project, run, write_template


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, encoder):
    out = tmp_path_factory.mktemp("run")
    project = load_project(demo_dir() / "project.toml")
    project.model = None
    result = run(project, output=out)
    return result, out


class _Rows(HTMLParser):
    """The shortlist rows of the report: (market, sku, rank, score, demand) from the data attributes."""

    def __init__(self):
        super().__init__()
        self.market, self.rows = None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-market" in a:
            self.market = a["data-market"]
        if tag == "tr" and "data-sku" in a:
            self.rows.append((self.market, a["data-sku"], int(a["data-rank"]), float(a["data-score"]),
                              float(a["data-demand"])))


def test_report_numbers_equal_the_shortlist(demo_run):
    result, out = demo_run
    html = result.report.read_text(encoding="utf-8")
    parser = _Rows()
    parser.feed(html)
    shortlist = pd.read_csv(result.shortlist)
    assert len(parser.rows) == len(shortlist)
    got = pd.DataFrame(parser.rows, columns=["market", "sku", "rank", "score", "demand_volume"])
    merged = shortlist.merge(got, on=["market", "sku"], suffixes=("", "_report"))
    assert len(merged) == len(shortlist)
    assert (merged["rank"] == merged["rank_report"]).all()
    assert (merged["score"] - merged["score_report"]).abs().max() < 1e-9
    assert (merged["demand_volume"] - merged["demand_volume_report"]).abs().max() < 1e-6
    # the formatted numbers shown to people agree too
    top = shortlist[(shortlist["market"] == "US") & (shortlist["rank"] == 1)].iloc[0]
    assert f"{top['score']:,.2f}" in html and f"{top['demand_volume']:,.0f}" in html


def test_report_is_one_self_contained_file_with_charts_gaps_and_listings(demo_run):
    result, _ = demo_run
    html = result.report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['\"]?https?:", html)
    assert html.count("<figure class=\"chart\"") == 1 + 2 * 5  # heatmap + per market parts and scatter
    assert html.count("<svg") >= 11
    assert "目录中没有商品覆盖的需求" in html and "robot vacuum" in html  # the gap list, in Chinese by default
    assert 'href="listings/preview/de-DE.html"' in html
    assert (result.report.parent / "listings" / "preview" / "de-DE.html").exists()


def test_report_in_english(demo_run, tmp_path):
    result, _ = demo_run
    from sellglobal.report.build import build_report
    from sellglobal.selection.select import feature_table, rank

    catalogue = pd.DataFrame({"sku": ["A", "B"], "title": ["空气炸锅 <b>5L</b>", "瑜伽垫"], "cost": [100, 20]})
    signals = pd.DataFrame({"market": "US", "keyword": ["air fryer", "yoga mat", "robot vacuum"],
                            "volume": [1000, 500, 9000], "avg_price": [69.9, 24.9, None]})
    table = feature_table(catalogue, signals, use_cache=False)
    path = build_report(table, rank(table), tmp_path / "r.html", ui_lang="en")
    html = path.read_text(encoding="utf-8")
    assert "Demand nothing in your catalogue covers" in html and "robot vacuum" in html
    assert "<b>5L</b>" not in html and "&lt;b&gt;5L&lt;/b&gt;" in html  # catalogue text is escaped


def test_run_gives_the_same_shortlist_as_select(demo_run):
    result, _ = demo_run
    project = load_project(demo_dir() / "project.toml")
    signals = [f"{m}:{p}" if m else str(p) for p, m in project.demand]
    separate = sellglobal.select(project.catalogue, signals, top=project.top)
    ran = pd.read_csv(result.shortlist)
    assert ran[["market", "rank", "sku"]].values.tolist() == separate[["market", "rank", "sku"]].values.tolist()
    # float32 embeddings encoded in other batches differ in the last bits
    assert (ran["score"] - separate["score"]).abs().max() < 1e-5


def test_init_writes_a_project_that_loads(tmp_path):
    path = write_template(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# sellglobal project file") and "[[demand]]" in text
    project = load_project(path, check_files=False)
    assert project.channels == ["amazon", "shopify"] and project.costs.fx["USD"] == 7.10
    assert project.catalogue == (tmp_path / "catalogue.xlsx").resolve()
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1 and "exists; edit it, or pass --force" in result.stderr


def test_project_problems_name_their_lines(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("""[project]
name = "x"
ui_lang = "fr"

[catalogue]
path = "cat.csv"

[[demand]]
path = "a.csv"

[[demand]]
path = "b.csv"
market = "XX"

[select]
top = 0
colour = "red"

[listings]
channels = ["amazon", "walmart"]

[costs.fx]
USD = "seven"
""", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        load_project(path, check_files=False)
    assert str(err.value).splitlines() == [
        f"{path} line 3: project.ui_lang = 'fr': must be \"zh\" or \"en\"",
        f"{path} line 13: demand.market = 'XX': must be an ISO market code such as US, DE, JP",
        f"{path} line 16: select.top = 0: must be a whole number above 0",
        f"{path} line 17: unknown key 'colour' in [select]; use one of markets, top, min_margin, max_weight_kg, "
        "exclude_category, model, ranker",
        f"{path} line 20: listings.channels = ['amazon', 'walmart']: must be a list of amazon, ebay, etsy, google, "
        "shopify, tiktok",
        f"{path} line 23: fx.USD = 'seven' must be a number, 0 or more",
    ]
    broken = tmp_path / "broken.toml"
    broken.write_text("[project\nname = 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(broken)])
    assert result.exit_code == 1 and "not valid TOML" in result.stderr and "line 1" in result.stderr
    missing = tmp_path / "m.toml"
    missing.write_text('[catalogue]\npath = "nope.csv"\n[[demand]]\npath = "d.csv"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(missing)])
    assert result.exit_code == 1
    assert f"{missing} line 2: catalogue.path: {(tmp_path / 'nope.csv').resolve()} does not exist" in result.stderr


def test_run_cli_prints_the_report_path_last(tmp_path, encoder):
    project = tmp_path / "shop"
    project.mkdir()
    (project / "cat.csv").write_text("sku,title,cost,weight_kg\nFRY,家用空气炸锅 5L,120,4.5\nMAT,加厚防滑瑜伽垫,20,1.2\n",
                                     encoding="utf-8")
    (project / "demand.csv").write_text("market,keyword,volume,avg_price\nUS,air fryer,450000,69.9\n"
                                        "US,yoga mat,135000,24.9\nDE,Yogamatte,60000,27\n", encoding="utf-8")
    (project / "sellglobal.toml").write_text('[project]\noutput = "out"\nui_lang = "en"\n[catalogue]\npath = "cat.csv"\n'
                                             '[[demand]]\npath = "demand.csv"\n[listings]\nchannels = ["ebay"]\n',
                                             encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(project / "sellglobal.toml"), "-q"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == f"Report: {(project / 'out' / 'report.html').resolve()}"
    assert (project / "out" / "listings" / "listings.jsonl").exists()
    html = (project / "out" / "report.html").read_text("utf-8")
    assert '<html lang="en">' in html and "Shortlist" in html and "入选清单" not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's package)")
def test_report_renders_every_chart_in_chromium(demo_run, tmp_path):
    from PIL import Image

    result, _ = demo_run
    url = result.report.resolve().as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--enable-logging=stderr",
             "--v=0"]
    dom = subprocess.run(flags + ["--window-size=1400,1000", "--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    boxes = json.loads(re.search(r'<pre id="chart-boxes" hidden="">(.*?)</pre>', dom.stdout, re.S).group(1)
                       .replace("&quot;", '"'))
    assert len(boxes) == 11 and all(b["width"] > 100 and b["height"] > 100 for b in boxes)
    height = int(max(b["y"] + b["height"] for b in boxes)) + 50
    shot = tmp_path / "report.png"
    run_shot = subprocess.run(flags + [f"--window-size=1400,{height}", f"--screenshot={shot}", url],
                              capture_output=True, text=True, timeout=120)
    for log in (dom.stderr, run_shot.stderr):
        assert not re.search(r"CONSOLE.*(Uncaught|Error)|:ERROR:CONSOLE", log), log
    import numpy as np

    image = np.asarray(Image.open(shot).convert("L"))
    for b in boxes:
        crop = image[int(b["y"]):int(b["y"] + b["height"]), int(b["x"]):int(b["x"] + b["width"])]
        drawn = float((crop < 200).mean())
        assert drawn > 0.02, (b["chart"], drawn)  # not blank: bars, cells, points and labels were drawn
