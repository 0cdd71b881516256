#!/usr/bin/env python3
"""Labelled evaluation sets built from the watch data in ../shared/data/watches (never copied here).

The texts belong to their authors (see that folder's SOURCES.md): this script reads them where they lie and
builds the sets in memory (for eval.py) or into a git-ignored folder (`--out`, default `bench/listings/.shared/`).
Only the mapping logic lives in the repository, never a row of the data.

- chrono24: the Chrono24 scrape (mostly A. Lange & Söhne): input is the seller's free text `ext_name`, labels
  are the brand and family the seller chose on the site form (`brand`, `name`), mapped to our canonical names;
  type is `sale` (every row is an offer).
- reddit: r/Watchexchange titles. The `[WTS]`/`[WTB]`/`[WTT]` tag is the type label and is stripped from the
  input. Brand is labelled only when the title (after the tag and a few leading words such as a year or
  "vintage") starts with a brand of our list; family only for brands whose families are unambiguous, when
  exactly one family of that brand is named. Everything else is left unlabelled (not "absent").

Labels follow whatsapp_dev.jsonl's shape. A key missing from a label means "not labelled" (not scored);
`partial: true` means the label's listings are not all the watches of the text (unmatched predictions are not
counted against the extractor); `type_accept` / `model_accept` list other answers that count as right.
"""
import argparse
import csv
import glob
import json
import os
import re
import sqlite3
import sys
import unicodedata

DATA = os.environ.get("WATCH_DATA", "/work/shared/data/watches")

# Canonical brand -> aliases (lower case, accents stripped). Written by hand: facts about the trade.
BRANDS = {
    "Rolex": ["rolex", "rollex", "rolx"],
    "Tudor": ["tudor"],
    "Omega": ["omega", "omgea"],
    "Patek Philippe": ["patek philippe", "patek", "pp"],
    "Audemars Piguet": ["audemars piguet", "audemars", "ap"],
    "Vacheron Constantin": ["vacheron constantin", "vacheron", "vc"],
    "A. Lange & Söhne": ["a. lange & sohne", "a lange & sohne", "a. lange und sohne", "a. lange & soehne",
                         "lange & sohne", "a. lange", "lange"],
    "Jaeger-LeCoultre": ["jaeger-lecoultre", "jaeger lecoultre", "jaeger le coultre", "jlc"],
    "Cartier": ["cartier"],
    "IWC": ["iwc schaffhausen", "iwc"],
    "Panerai": ["officine panerai", "panerai"],
    "Breitling": ["breitling"],
    "Grand Seiko": ["grand seiko"],
    "Seiko": ["seiko"],
    "Zenith": ["zenith"],
    "TAG Heuer": ["tag heuer", "tag-heuer", "tagheuer"],
    "Heuer": ["heuer"],
    "Longines": ["longines"],
    "Hublot": ["hublot"],
    "Richard Mille": ["richard mille"],
    "F.P. Journe": ["f.p. journe", "fp journe", "f. p. journe", "journe"],
    "Nomos": ["nomos glashutte", "nomos"],
    "Oris": ["oris"],
    "Sinn": ["sinn"],
    "Hamilton": ["hamilton"],
    "Tissot": ["tissot"],
    "Casio": ["casio", "g-shock", "g shock"],
    "Citizen": ["citizen"],
    "Orient": ["orient star", "orient"],
    "Breguet": ["breguet"],
    "Blancpain": ["blancpain"],
    "Chopard": ["chopard"],
    "Glashütte Original": ["glashutte original", "glashutte"],
    "Bell & Ross": ["bell & ross", "bell and ross", "bell&ross"],
    "Girard-Perregaux": ["girard-perregaux", "girard perregaux"],
    "Ulysse Nardin": ["ulysse nardin"],
    "H. Moser & Cie.": ["h. moser & cie", "h moser", "moser"],
    "Montblanc": ["montblanc", "mont blanc"],
    "Baume & Mercier": ["baume & mercier", "baume et mercier", "baume"],
    "Frederique Constant": ["frederique constant"],
    "Doxa": ["doxa"],
    "Christopher Ward": ["christopher ward"],
    "Squale": ["squale"],
    "Bulova": ["bulova"],
    "Timex": ["timex"],
    "Swatch": ["swatch"],
    "Mido": ["mido"],
    "Certina": ["certina"],
    "Rado": ["rado"],
    "Raymond Weil": ["raymond weil"],
    "Junghans": ["junghans"],
    "Stowa": ["stowa"],
    "Laco": ["laco"],
    "Damasko": ["damasko"],
    "Tutima": ["tutima"],
    "Ball": ["ball watch", "ball"],
    "Eterna": ["eterna"],
    "Universal Genève": ["universal geneve"],
    "Vulcain": ["vulcain"],
    "Yema": ["yema"],
    "Lip": ["lip"],
    "Zodiac": ["zodiac"],
    "Glycine": ["glycine"],
    "Enicar": ["enicar"],
    "Gallet": ["gallet"],
    "Movado": ["movado"],
    "Invicta": ["invicta"],
    "Steinhart": ["steinhart"],
    "Lorier": ["lorier"],
    "Baltic": ["baltic"],
    "Farer": ["farer"],
    "Monta": ["monta"],
    "Formex": ["formex"],
    "Czapek": ["czapek"],
    "MB&F": ["mb&f"],
    "De Bethune": ["de bethune"],
    "Piaget": ["piaget"],
    "Bvlgari": ["bvlgari", "bulgari"],
    "Corum": ["corum"],
    "Perrelet": ["perrelet"],
    "Maurice Lacroix": ["maurice lacroix"],
    "Alpina": ["alpina"],
    "Fortis": ["fortis"],
    "Marathon": ["marathon"],
    "Benrus": ["benrus"],
    "Waltham": ["waltham"],
    "Elgin": ["elgin"],
    "Aerowatch": ["aerowatch"],
    "ABP Paris": ["abp paris", "abp"],
    "Aigle": ["aigle"],
}

# Families we can name without doubt, per brand: family -> aliases. A title naming two of them gets no family
# label. Nicknames are left out on purpose (a "Pepsi" is a Rolex GMT-Master or GMT-Master II, or a Tudor).
FAMILIES = {
    "Rolex": {
        "Submariner": ["submariner"], "GMT-Master II": ["gmt-master ii", "gmt master ii", "gmt-master 2", "gmt master 2"],
        "GMT-Master": ["gmt-master", "gmt master"], "Daytona": ["daytona", "cosmograph"],
        "Datejust": ["datejust", "date just"], "Day-Date": ["day-date", "day date", "president"],
        "Explorer II": ["explorer ii", "explorer 2"], "Explorer": ["explorer"],
        "Sea-Dweller": ["sea-dweller", "sea dweller", "deepsea"], "Yacht-Master II": ["yacht-master ii", "yachtmaster ii"],
        "Yacht-Master": ["yacht-master", "yachtmaster", "yacht master"], "Sky-Dweller": ["sky-dweller", "sky dweller"],
        "Oyster Perpetual": ["oyster perpetual"], "Milgauss": ["milgauss"], "Air-King": ["air-king", "air king"],
        "Cellini": ["cellini"],
    },
    "Tudor": {"Black Bay": ["black bay", "bb58", "bb 58"], "Pelagos": ["pelagos"], "Ranger": ["ranger"],
              "1926": ["1926"], "North Flag": ["north flag"]},
    "Omega": {"Speedmaster": ["speedmaster", "speedy", "moonwatch"],
              "Seamaster": ["seamaster", "planet ocean", "aqua terra", "diver 300m", "smp"],
              "Constellation": ["constellation"], "De Ville": ["de ville", "deville"]},
    "Patek Philippe": {"Nautilus": ["nautilus"], "Aquanaut": ["aquanaut"], "Calatrava": ["calatrava"],
                       "Twenty~4": ["twenty~4", "twenty-4", "twenty 4"], "Gondolo": ["gondolo"]},
    "Audemars Piguet": {"Royal Oak Offshore": ["royal oak offshore"], "Royal Oak": ["royal oak"],
                        "Code 11.59": ["code 11.59"]},
    "Vacheron Constantin": {"Overseas": ["overseas"], "Patrimony": ["patrimony"], "Fiftysix": ["fiftysix"],
                            "Traditionnelle": ["traditionnelle"]},
    "A. Lange & Söhne": {"Lange 1": ["lange 1"], "Saxonia": ["saxonia"], "Datograph": ["datograph"],
                         "1815": ["1815"], "Zeitwerk": ["zeitwerk"], "Odysseus": ["odysseus"]},
    "Jaeger-LeCoultre": {"Reverso": ["reverso"], "Polaris": ["polaris"]},
    "Cartier": {"Santos-Dumont": ["santos-dumont", "santos dumont"], "Santos": ["santos"], "Tank": ["tank"],
                "Ballon Bleu": ["ballon bleu"], "Pasha": ["pasha"], "Panthère": ["panthere"], "Roadster": ["roadster"]},
    "IWC": {"Portugieser": ["portugieser", "portuguese", "portugaise"], "Big Pilot": ["big pilot"],
            "Aquatimer": ["aquatimer"], "Ingenieur": ["ingenieur"]},
    "Panerai": {"Luminor": ["luminor"], "Radiomir": ["radiomir"], "Submersible": ["submersible"]},
    "Breitling": {"Navitimer": ["navitimer"], "Superocean": ["superocean"], "Chronomat": ["chronomat"],
                  "Avenger": ["avenger"], "Premier": ["premier"], "Colt": ["colt"], "Aerospace": ["aerospace"]},
    "Zenith": {"Chronomaster": ["chronomaster"], "Defy": ["defy"]},
    "TAG Heuer": {"Monaco": ["monaco"], "Carrera": ["carrera"], "Aquaracer": ["aquaracer"],
                  "Formula 1": ["formula 1", "formula one"], "Autavia": ["autavia"]},
    "Longines": {"Spirit": ["spirit"], "HydroConquest": ["hydroconquest", "hydro conquest"],
                 "Legend Diver": ["legend diver"], "Master Collection": ["master collection"],
                 "Conquest": ["conquest"]},
    "Hublot": {"Spirit of Big Bang": ["spirit of big bang"], "Big Bang": ["big bang"],
               "Classic Fusion": ["classic fusion"]},
    "Hamilton": {"Khaki Field": ["khaki field"], "Jazzmaster": ["jazzmaster"], "Ventura": ["ventura"],
                 "Intra-Matic": ["intra-matic", "intramatic"]},
    "Tissot": {"PRX": ["prx"], "Seastar": ["seastar"], "Le Locle": ["le locle"]},
    "Oris": {"Aquis": ["aquis"], "Divers Sixty-Five": ["divers sixty-five", "sixty-five", "sixty five", "65"],
             "Big Crown": ["big crown"], "ProPilot": ["propilot", "pro pilot"]},
    "Nomos": {"Tangente": ["tangente"], "Club": ["club"], "Orion": ["orion"], "Metro": ["metro"],
              "Ahoi": ["ahoi"], "Tetra": ["tetra"], "Ludwig": ["ludwig"], "Zürich": ["zurich"]},
    "Blancpain": {"Fifty Fathoms": ["fifty fathoms"]},
    "Glashütte Original": {"Senator": ["senator"], "SeaQ": ["seaq"]},
    "Chopard": {"Alpine Eagle": ["alpine eagle"]},
    "Breguet": {"Type XX": ["type xx", "type 20"], "Marine": ["marine"], "Classique": ["classique"]},
}

# Chrono24 site families -> what else counts as the family (the site's family stays the label).
CHRONO24_PARENT = {
    ("A. Lange & Söhne", "Grand Lange 1"): ["Lange 1"],
    ("A. Lange & Söhne", "Little Lange 1"): ["Lange 1"],
    ("A. Lange & Söhne", "Langematik Perpetual"): ["Langematik"],
    ("A. Lange & Söhne", "Grand Langematik"): ["Langematik"],
}

# Words a reddit seller puts before the brand ("[WTS] 2022 Tudor ...", "[WTS] Vintage Omega ...").
LEADING_NOISE = re.compile(
    r"^(?:(?:19|20)\d\d|vintage|new|brand new|rare|nos|lnib|bnib|mint|full set|price drop|reduced|"
    r"price reduction|ultra rare|like new|unworn|sold|fs|for sale)\b[\s:,\-–]*",
    re.I)


def fold(text):
    """Lower case without accents, for matching aliases."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def canonical_brand(site_brand):
    """Our canonical brand for a brand as the site spells it, or None when we do not know it."""
    folded = fold(site_brand).strip()
    for brand, aliases in BRANDS.items():
        if folded == fold(brand) or folded in aliases:
            return brand
    return None


def _alias_re(alias):
    return re.compile(r"(?<![\w&])" + re.escape(alias) + r"(?![\w&])")


_BRAND_ALIASES = sorted(((a, b) for b, al in BRANDS.items() for a in al), key=lambda x: -len(x[0]))
_BRAND_RES = [(_alias_re(a), b) for a, b in _BRAND_ALIASES]
_FAMILY_RES = {b: sorted(((_alias_re(a), f, len(a)) for f, al in fams.items() for a in al), key=lambda x: -x[2])
               for b, fams in FAMILIES.items()}


# Aliases that are also ordinary words or other brands' parts: enough at the start of a title, not elsewhere.
WEAK_ALIASES = {"pp", "ap", "vc", "lip", "ball", "baltic", "marathon", "monta", "tag", "lange", "journe", "moser",
                "baume", "glashutte", "orient", "heuer", "seiko", "elgin", "rado"}
# Brands whose names contain another's, or that are named together by nature.
COMPANIONS = {"Grand Seiko": {"Seiko"}, "TAG Heuer": {"Heuer"}, "Heuer": {"TAG Heuer"},
              "Glashütte Original": {"Nomos"}, "Nomos": {"Glashütte Original"}}


def brands_named(folded):
    """Every canonical brand whose (unambiguous) alias occurs in the folded text."""
    return {b for (a, b), (rx, _) in zip(_BRAND_ALIASES, _BRAND_RES) if a not in WEAK_ALIASES and rx.search(folded)}


def leading_brand(title):
    """The brand the title starts with (after leading noise), or None."""
    rest = fold(title).strip()
    rest = re.sub(r"^[^\w(\"'‘“]+", "", rest)
    while True:
        stripped = LEADING_NOISE.sub("", rest, count=1)
        stripped = re.sub(r"^[^\w\"'‘“]+", "", stripped)
        if stripped == rest:
            break
        rest = stripped
    for rx, brand in _BRAND_RES:
        m = rx.match(rest)
        if m and m.start() == 0:
            return brand
    return None


def one_family(brand, folded):
    """The single family of `brand` the text names, or None (none, or two different ones)."""
    taken = []
    found = set()
    for rx, family, _ in _FAMILY_RES.get(brand, []):
        for m in rx.finditer(folded):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.add(family)
    return found.pop() if len(found) == 1 else None


def chrono24():
    path = os.path.join(DATA, "chrono24_tkrejzlik", "chrono24.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = []
    for row_id, site_brand, name, text in db.execute("select id, brand, name, ext_name from watches order by id"):
        if not text or not text.strip() or not site_brand:
            continue
        brand = canonical_brand(site_brand)
        listing = {"brand": brand} if brand else {}
        if brand and name and name.startswith(site_brand):
            family = name[len(site_brand):].strip()
            if family:
                listing["model"] = family
                accept = CHRONO24_PARENT.get((brand, family))
                if accept:
                    listing["model_accept"] = accept
        rows.append({"id": f"c24-{row_id}", "text": text,
                     "label": {"type": "sale", "listings": [listing]}})
    return rows


# Titles selling parts of a watch ("outer box + papers wallet", "bezel insert for Rolex"): no watch to label.
ACCESSORY = re.compile(r"\b(outer box|inner box|papers wallet|bezel insert|strap only|bracelet only|buckle|"
                       r"clasp only|links only|dial only|movement only|empty box|box only|watch roll|winder)\b")
TAG = re.compile(r"^\s*((?:\[[^\]]*\]\s*)+)[:\-–]?\s*")
TAG_TYPES = {"WTS": "sale", "WTB": "wanted", "WTT": "trade"}


def reddit():
    titles = {}
    for path in sorted(glob.glob(os.path.join(DATA, "reddit_watchexchange_gitmishka", "posts@*.csv"))):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                titles.setdefault(row["id"], row["title"])
    rows = []
    for post_id, title in sorted(titles.items()):
        m = TAG.match(title)
        if not m:
            continue
        kinds = [TAG_TYPES[t] for t in re.findall(r"WT[SBT]", m.group(1).upper())]
        if not kinds:
            continue
        text = title[m.end():].strip()
        if not text:
            continue
        label = {"type": kinds[0], "partial": True, "listings": []}
        if len(set(kinds)) > 1:
            label["type_accept"] = sorted(set(kinds))
        folded = fold(text)
        brand = leading_brand(text)
        # A mod, or a title naming another brand too ("Seiko mod", "Rolex / Tudor"), gets no brand label.
        others = brands_named(folded) - {brand} - COMPANIONS.get(brand, set())
        if brand and " mod" not in f" {folded}" and not others and not ACCESSORY.search(folded):
            listing = {"brand": brand}
            family = one_family(brand, folded)
            if family:
                listing["model"] = family
            label["listings"].append(listing)
        rows.append({"id": f"rwx-{post_id}", "text": text, "label": label})
    return rows


SETS = {"chrono24": chrono24, "reddit": reddit}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, ".shared"),
                    help="folder for the built sets (git-ignored; default bench/listings/.shared)")
    ap.add_argument("--stats", action="store_true", help="print what the labels hold")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, build in SETS.items():
        rows = build()
        path = os.path.join(args.out, f"{name}.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        listings = [l for r in rows for l in r["label"]["listings"]]
        print(f"{name}: {len(rows)} texts, {sum('brand' in l for l in listings)} brand labels, "
              f"{sum('model' in l for l in listings)} family labels -> {path}", file=sys.stderr)
        if args.stats:
            from collections import Counter
            print(Counter(r["label"]["type"] for r in rows).most_common(), file=sys.stderr)
            print(Counter(l.get("brand") for l in listings).most_common(25), file=sys.stderr)
            print(Counter((l.get("brand"), l.get("model")) for l in listings if "model" in l).most_common(25),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
