from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sellglobal.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path):
    cat = tmp_path / "cat.csv"
    cat.write_text("sku,title,cost,weight_kg\nFRY,家用大容量空气炸锅 5L,120,4.5\nMAT,加厚防滑瑜伽垫,20,1.2\n",
                   encoding="utf-8")
    sig = tmp_path / "sig.csv"
    sig.write_text("keyword,volume,avg_price\nair fryer,450000,69.9\nyoga mat,135000,24.9\n", encoding="utf-8")
    return cat, sig


@pytest.mark.parametrize("command", [[], ["select"], ["listings"], ["train"], ["evaluate"], ["models"],
                                     ["models", "list"], ["models", "show"], ["demo"]])
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(cli, command + ["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_select_to_stdout_and_summary_on_stderr(runner, files):
    cat, sig = files
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("market,rank,sku,title,score,demand_volume")
    assert lines[1].startswith("US,1,FRY,")
    assert "searches/mo" in result.stderr and "FRY" in result.stderr


def test_select_with_approximate_matching(runner, files):
    pytest.importorskip("usearch")
    cat, sig = files
    exact = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-q"])
    approx = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-q", "--ann"])
    assert approx.exit_code == 0, approx.output
    a, e = (pd.read_csv(io.StringIO(r.stdout)) for r in (approx, exact))
    assert a[["market", "rank", "sku", "keywords"]].equals(e[["market", "rank", "sku", "keywords"]])
    assert np.allclose(a["score"], e["score"], atol=1e-6)  # the same pairs; float sums in another order


def test_quiet_silences_stderr(runner, files):
    cat, sig = files
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-q"])
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".json", ".jsonl"])
def test_output_formats(runner, files, tmp_path, suffix):
    cat, sig = files
    out = tmp_path / f"short{suffix}"
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = {".csv": pd.read_csv, ".xlsx": pd.read_excel, ".parquet": pd.read_parquet, ".json": pd.read_json,
              ".jsonl": lambda p: pd.read_json(p, lines=True)}[suffix]
    frame = reader(out)
    assert frame["sku"].tolist() == ["FRY", "MAT"]
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind


def test_bad_catalogue_exits_1_one_line_per_problem_no_output(runner, data_dir, tmp_path, files):
    _, sig = files
    out = tmp_path / "out.csv"
    result = runner.invoke(cli, ["select", str(data_dir / "catalogue_bad.csv"), "-s", str(sig), "--market", "US",
                                 "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: catalogue_bad.csv row 3 column 'sku': sku 'A1' is already used in row 2; skus must be unique"
    assert len(lines) == 4
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_file_broken_on_every_row_shows_the_first_problems_and_counts_the_rest(runner, files, tmp_path):
    cat, _ = files
    short = tmp_path / "short.csv"
    pd.DataFrame({"market": ["US"] * 1200, "sku": [f"X{i}" for i in range(1200)], "keywords": ["air fryer"] * 1200}) \
        .to_csv(short, index=False)
    result = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (f"Error: {short} row 2 column 'sku': sku 'X0' is not in the catalogue; pass the catalogue "
                        "that select ranked")
    assert len(lines) == 21 and lines[-1] == "... and 1,180 more problems (fix these and run again)"
    assert not (tmp_path / "out" / "listings.jsonl").exists()


def test_missing_title_column(runner, data_dir, files):
    _, sig = files
    result = runner.invoke(cli, ["select", str(data_dir / "catalogue_no_title.csv"), "-s", str(sig), "--market", "US"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: catalogue_no_title.csv: no title column")


def test_missing_market_names_the_option(runner, files):
    cat, sig = files
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig)])
    assert result.exit_code == 1
    assert "sig.csv: the file names no market; pass --market" in result.stderr


def test_missing_file(runner, files):
    cat, _ = files
    result = runner.invoke(cli, ["select", str(cat), "-s", "nope.csv", "--market", "US"])
    assert result.exit_code == 1 and "nope.csv: file not found" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["-o", "out.doc"], "unknown output type"),
    (["--top", "0"], "Invalid value for '--top'"),
])
def test_misused_options_exit_2(runner, files, args, message):
    cat, sig = files
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US"] + args)
    assert result.exit_code == 2 and message in result.stderr


def test_cache_dir_option_fills_the_cache(runner, files, tmp_path):
    cat, sig = files
    cache = tmp_path / "emb"
    result = runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-q", "--cache-dir", str(cache)])
    assert result.exit_code == 0
    assert list(cache.glob("*.sqlite"))


def test_demo_end_to_end(runner, tmp_path):
    result = runner.invoke(cli, ["demo", "-o", str(tmp_path / "demo"), "--cache-dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    shortlist = pd.read_csv(tmp_path / "demo" / "shortlist.csv")
    assert (tmp_path / "demo" / "shortlist.xlsx").exists()
    assert set(shortlist["market"]) == {"US", "DE", "FR", "ES", "JP"}
    assert shortlist.groupby("market").size().min() == 20
    assert str(tmp_path / "demo" / "shortlist.csv") in result.stdout
    assert result.stdout.strip().splitlines()[-1] == f"Report: {(tmp_path / 'demo' / 'report.html').resolve()}"
    # Products nobody abroad searches for (X..: spring couplets, abacus, ...) never make the shortlist.
    assert not shortlist["sku"].str.startswith("X").any()
    # ... and the demo writes listings: 5 locales x 4 channels, none breaking a rule after repair, each text in
    # its locale's language.
    import json

    from sellglobal.models.language import detect

    listings = [json.loads(line) for line in
                (tmp_path / "demo" / "listings" / "listings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(listings) == len(shortlist) * 4
    assert {(d["locale"], d["channel"]) for d in listings} == {
        (loc, ch) for loc in ("en-US", "de-DE", "fr-FR", "es-ES", "ja-JP") for ch in ("amazon", "shopify", "ebay",
                                                                                     "tiktok")}
    assert [d for d in listings if d["violations"]] == []
    wrong = [(d["locale"], name, text) for d in listings
             for name, text in (("title", d["title"]), ("bullets", "\n".join(d["bullets"])),
                                ("description", d["description"]),
                                ("video", " ".join([d["video_script"]["hook"], d["video_script"]["cta"]]
                                                   + [s["voice_over"] for s in d["video_script"]["shots"]])))
             if detect(text) != d["locale"][:2]]
    assert wrong == []
    for page in ("en-US", "de-DE", "fr-FR", "es-ES", "ja-JP"):
        assert str(tmp_path / "demo" / "listings" / "preview" / f"{page}.html") in result.stdout
    assert (tmp_path / "demo" / "listings" / "shopify" / "products_de-DE.csv").exists()
    assert (tmp_path / "demo" / "listings" / "amazon" / "listings_JP_001.json").exists()


def test_listings_command(runner, files, tmp_path):
    cat, sig = files
    short = tmp_path / "short.csv"
    assert runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-o", str(short), "-q"]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "--channel", "amazon", "--channel", "etsy",
                                 "--locale", "en-US,de-DE", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"8 listings: {(out / 'listings.jsonl').resolve()}" in result.stdout
    assert "channel  locale   listings  repaired  failed" in result.stderr
    assert (out / "preview" / "de-DE.html").exists() and (out / "validation.csv").exists()
    quiet = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "-o", str(out), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_listings_jobs_write_the_same_files(runner, files, tmp_path, monkeypatch):
    from sellglobal.listings import generate

    monkeypatch.setattr(generate, "CHUNK", 2)  # 8 listings in four parts
    cat, sig = files
    short = tmp_path / "short.csv"
    assert runner.invoke(cli, ["select", str(cat), "-s", str(sig), "--market", "US", "-o", str(short), "-q"]).exit_code == 0
    common = ["listings", str(short), "-c", str(cat), "--channel", "amazon", "--channel", "etsy",
              "--locale", "en-US,de-DE", "-q"]
    assert runner.invoke(cli, common + ["-o", str(tmp_path / "one"), "--jobs", "1"]).exit_code == 0
    assert runner.invoke(cli, common + ["-o", str(tmp_path / "two"), "--jobs", "2"]).exit_code == 0
    for f in ("listings.jsonl", "validation.csv", "preview/de-DE.html", "amazon/listings_US_001.json"):
        assert (tmp_path / "two" / f).read_bytes() == (tmp_path / "one" / f).read_bytes(), f


@pytest.mark.parametrize("args, code, message", [
    (["--channel", "walmart"], 2, "Invalid value for '--channel'"),
    (["--locale", "pt-BR"], 1, "Error: --locale pt-BR: no glossary for it"),
    (["--amazon-rules", "amazon-2030"], 2, "Invalid value for '--amazon-rules'"),
    (["--jobs", "0"], 2, "Invalid value for '-j' / '--jobs'"),
])
def test_listings_bad_options(runner, files, tmp_path, args, code, message):
    cat, _ = files
    short = tmp_path / "short.csv"
    short.write_text("market,sku,keywords\nUS,FRY,air fryer\n", encoding="utf-8")
    result = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "-o", str(tmp_path / "o")] + args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_listings_bad_shortlist_exits_1_with_row_and_column(runner, files, tmp_path):
    cat, _ = files
    short = tmp_path / "short.csv"
    short.write_text("market,sku,keywords\nUS,FRY,air fryer\nUS,GHOST,yoga mat\n", encoding="utf-8")
    result = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {short} row 3 column 'sku': sku 'GHOST' is not in the catalogue; "
                                     "pass the catalogue that select ranked")
    assert not (tmp_path / "o" / "listings.jsonl").exists()


def test_listings_template_error_names_file_and_line(runner, files, tmp_path):
    cat, _ = files
    short = tmp_path / "short.csv"
    short.write_text("market,sku,keywords\nUS,FRY,air fryer\n", encoding="utf-8")
    templates = tmp_path / "tpl"
    (templates / "amazon").mkdir(parents=True)
    (templates / "amazon" / "title.j2").write_text("{{ item.product }}\n{{ item.price.nope }}\n", encoding="utf-8")
    result = runner.invoke(cli, ["listings", str(short), "-c", str(cat), "--templates", str(templates),
                                 "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 1
    assert "amazon/title.j2 line 2: UndefinedError" in result.stderr


def test_progress_bars_show_rate_and_time_left(monkeypatch):
    import io
    import time

    from sellglobal.cli import _progress_factory

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    with _progress_factory(False)("Encoding products", 1000) as bar:
        time.sleep(1.1)  # click estimates the time left once a second
        bar.update(250)
        bar.render_progress()
    shown = err.getvalue()
    assert "Encoding products" in shown and "25%" in shown
    assert "/s" in shown  # the rate
    assert "00:00:0" in shown  # the time left


def test_select_summary_keeps_big_numbers_apart():
    from sellglobal.cli import _summary

    frame = pd.DataFrame({"market": ["DE"], "rank": [1], "sku": ["S1"], "title": ["折叠宠物自动喂食器"]})
    frame.attrs["summary"] = [{"market": "DE", "keywords": 50000, "volume": 5016754932.0, "matched_products": 314396,
                               "shortlisted": 100, "covered_share": 0.01}]
    header, row = _summary(frame).splitlines()
    assert row.split()[:6] == ["DE", "50,000", "5,016,754,932", "314,396", "100", "1%"]
    assert header.index("searches/mo") + len("searches/mo") == row.index("5,016,754,932") + len("5,016,754,932")
