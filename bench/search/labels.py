#!/usr/bin/env python3
"""How queries.jsonl was labelled: each query's relevant messages, as a written rule plus hand decisions.

A rule is a regular expression over the message's folded text (lower case, accents stripped): it gathers the
candidates, every one of which was then read; `drop` lists the candidates read and judged not relevant, `add`
the relevant messages the rule misses (found by reading related greps). `prices` keeps only candidates that
state a price in the given range (any currency: €, $, £, CHF, "k"). Labels were written from the texts and
these criteria only, before any search was run against them.

`python3 labels.py` writes queries.jsonl (the frozen labels the evaluator reads); `--show ID` prints a query's
candidates and decisions, to review it.
"""
import argparse
import json
import os
import re

import corpus
from build_shared import fold

HERE = os.path.dirname(os.path.abspath(__file__))

DIVE = (r"diver|plongee|plongeuse|submariner|\bsub\b|seamaster (diver|300|professional|pro\b|planet)|planet ocean|"
        r"black bay (5[48]|41|fifty|bleue|noire|red|rouge|79220|79230)|bb58|bb 58|bb41|bb54|pelagos|skx|"
        r"turtle|tuna|fifty fathoms|superocean|hydroconquest|legend diver|aquis|divers? (65|sixty)|doxa|squale|"
        r"sea-dweller|deepsea|amphibia|kamasu|promaster|sumo|u1\b|aquaracer|\bsmp\b|seamaster 300m")

# Each query: id, q, lang (of the query), kind, why (the criterion), rule, drop, add, prices.
QUERIES = [
    # Exact references: a message naming that reference (any spacing or case).
    dict(id="ref-116610ln", q="116610LN", lang="any", kind="reference", rule=r"116610 ?ln\b"),
    dict(id="ref-5711", q="5711/1A", lang="any", kind="reference", rule=r"5711"),
    dict(id="ref-126710blro", q="126710BLRO", lang="any", kind="reference", rule=r"126710 ?blro"),
    dict(id="ref-speedy-005", q="311.30.42.30.01.005", lang="any", kind="reference", rule=r"311\.30\.42\.30\.01\.005"),
    dict(id="ref-16610lv", q="16610LV", lang="any", kind="reference", rule=r"(?<!\d)16610 ?lv"),
    dict(id="ref-405035", q="405.035", lang="any", kind="reference", rule=r"405\.035"),
    dict(id="ref-sbga211", q="SBGA211", lang="any", kind="reference", rule=r"sbga ?211"),
    dict(id="ref-15202", q="15202ST", lang="any", kind="reference", rule=r"15202"),
    dict(id="ref-191032", q="191.032", lang="any", kind="reference", rule=r"191\.032"),
    dict(id="ref-79030b", q="79030B", lang="any", kind="reference", rule=r"79030 ?b\b"),
    # Brand and family: a message about a watch of that family (named, misspelt, or by one of its references).
    dict(id="fam-daytona", q="Rolex Daytona", lang="any", kind="family",
         rule=r"daytona|daytonna|cosmograph|\b(116500|126500|11652\d|116518|116505|116519|16523|16520)"),
    dict(id="fam-speedmaster", q="Omega Speedmaster", lang="any", kind="family",
         rule=r"speedmaster|speedy\b|speedy pro|moonwatch|3570\.50|311\.30\.42|310\.30\.42|145\.022"),
    dict(id="fam-blackbay", q="Tudor Black Bay", lang="any", kind="family",
         rule=r"black bay|bb ?58|bb ?41|bb ?54|bb36|79030|79230|79220|79830|79360|79470|79500|79000n|79540|79730|7941a"),
    dict(id="fam-santos", q="Cartier Santos", lang="any", kind="family", rule=r"santos"),
    dict(id="fam-datograph", q="Lange Datograph", lang="any", kind="family",
         rule=r"datograph|ダトグラフ|40[35]\.03\d|410\.0[23]\d"),
    dict(id="fam-aquanaut", q="Patek Philippe Aquanaut", lang="any", kind="family", rule=r"aquanaut|516[478]"),
    dict(id="fam-royaloak", q="Audemars Piguet Royal Oak", lang="any", kind="family",
         rule=r"royal oak|\broo\b|15202|15400|15500|26470|26331|15710|16202"),
    dict(id="fam-grandseiko", q="Grand Seiko", lang="any", kind="family",
         rule=r"grand seiko|grnad seiko|sbg[a-z]|44gs"),
    dict(id="fam-portugieser", q="IWC Portugieser", lang="any", kind="family", rule=r"portug|iw3714|iw5007|\b3714\b"),
    dict(id="fam-explorer2", q="Rolex Explorer II", lang="any", kind="family",
         rule=r"explorer (ii|2|ll)|\b(16570|216570|226570)\b"),
    # Nicknames: the watch the trade means by it (by nickname or by its reference).
    dict(id="nick-hulk", q="Hulk", lang="any", kind="nickname", rule=r"hulk|116610 ?lv"),
    dict(id="nick-pepsi", q="Pepsi", lang="any", kind="nickname", rule=r"pepsi|126710 ?blro|79830 ?rb|116719"),
    dict(id="nick-batman", q="Batman", lang="any", kind="nickname", rule=r"batman|blnr"),
    dict(id="nick-kermit", q="Kermit", lang="any", kind="nickname", rule=r"kermit|(?<!\d)16610 ?lv"),
    dict(id="nick-snowflake", q="Snowflake", lang="any", kind="nickname", rule=r"snowflake|sbga ?211|sbga ?011"),
    dict(id="nick-rootbeer", q="Root beer", lang="any", kind="nickname", rule=r"root ?beer|chnr|79833"),
    dict(id="nick-smurf", q="Smurf", lang="any", kind="nickname", rule=r"smurf|116619"),
    dict(id="nick-panda", q="Daytona panda", lang="any", kind="nickname",
         rule=r"(daytona|daytonna|116500|126500).*(panda|blanc|white)"),
    dict(id="nick-starbucks", q="Starbucks", lang="any", kind="nickname", rule=r"starbucks|126610 ?lv"),
    dict(id="nick-tiffany", q="cadran Tiffany", lang="fr", kind="nickname", rule=r"tiffany"),
]

# Needs, cross-language and chatter queries: criteria in `why`; candidates from a rule where the shared data
# can hold answers, otherwise the ids read out of a grep of the WhatsApp-style messages.
QUERIES += [
    dict(id="need-diver-5k", q="je cherche une plongeuse automatique sous 5000€", lang="fr", kind="need",
         why="an offer of an automatic dive watch at a stated price under 5,000 (any currency)",
         rule=DIVE, prices=(1, 4999)),
    dict(id="need-nautilus", q="anyone selling a Nautilus?", lang="en", kind="need",
         why="an offer of a Patek Philippe Nautilus (not a wanted post)", rule=r"nautilus"),
    dict(id="need-cheap-diver", q="montre de plongée pas chère pour débuter", lang="fr", kind="need",
         why="an offer of a dive watch at 500 or less", rule=DIVE, prices=(1, 500)),
    dict(id="need-gmt-10k", q="looking for a GMT for travelling under 10k", lang="en", kind="need",
         why="an offer of a GMT (second time zone) watch at a stated price under 10,000",
         rule=r"gmt|pepsi|batman|root beer|blnr|blro|79830|79470|sbgn|sbgj|sbgm|16710|16750|116710|world ?timer|dual time",
         prices=(1, 9999)),
    dict(id="need-lange1", q="quelqu'un vend une Lange 1 ?", lang="fr", kind="need",
         why="an offer of a Lange 1 (Lange 1, Grand/Little Lange 1, Lange 1 Time Zone...), named or by a 191./101. reference",
         rule=r"lange 1\b|lange1|ランゲ1|grand lange|little lange|\b(191|101)\.0\d\d"),
    dict(id="need-vintage-chrono70", q="chrono vintage des années 70", lang="fr", kind="need",
         why="an offer of a chronograph made in the 1970s (dated or called 70s)",
         rule=r"(chrono|6139|autavia|carrera|el primero|speedmaster|navitimer|7a28).*(197\d|70s|'7\d|annees 70|seventies)|(197\d|70s|annees 70).*(chrono|6139|autavia|el primero|speedmaster|navitimer)"),
    dict(id="need-dress-rosegold", q="montre habillée en or rose pour un mariage", lang="fr", kind="need",
         why="an offer of a dress watch (not a chronograph or sports watch) in rose gold",
         rule=r"rose gold|or rose|pink gold|red gold|rotgold|sedna|everose|roségold|rosegold",
         drop_rule=r"chrono|datograph|flyback|split|duograph|daytona|royal oak|aqua terra|seamaster|overseas|11\.59|"
                   r"pocket|taschenuhr|savonette|repeater|repetition|\b40[1345]\.0|424\.0|cherche|recherche|hesili"),
    dict(id="need-small-ladies", q="a small watch for my wife, 36mm or less", lang="en", kind="need",
         why="an offer of a watch of 36 mm or less, or sold as a ladies' watch",
         rule=r"ladies|\blady|women|femme|madame|damenuhr|petit modele|small model|"
              r"(?<![\d.])(2\d|3[0-5]|36)(\.\d)? ?mm\b(?! ?(strap|bracelet|clasp|band|nato|short))|datejust 36|perpetual 36",
         drop_rule=r"\b(cherche|wanted|wtb|looking for|iso|anyone have)\b|^new 2\dmm|straps?$|\b3[0-6]\.[1-9] ?mm"),
    dict(id="need-cheap-quartz", q="je cherche une montre quartz pas chère", lang="fr", kind="need",
         why="an offer of a quartz (battery, solar) watch at 300 or less",
         rule=r"quartz|casio|g-shock|g shock|solar|eco-drive|f-91w|gw-m|dw-5600|\bpile\b|battery", prices=(1, 300)),
    dict(id="need-sub-10k", q="anyone has a Submariner for sale under 10k?", lang="en", kind="need",
         why="an offer of a Rolex Submariner at a stated price under 10,000",
         rule=r"submariner|submarinier|\bsub\b|116610|126610|124060|114060|14060|16610|1680\b|16800", prices=(1, 9999)),
]

CHATTER = [
    # Cross-language: the query in one language, (most) answers in the other.
    ("xl-transfer", "did you get my bank transfer?", "en", "cross_language",
     "a message about a bank transfer or payment being sent, received or missing",
     ["sq-001", "sq-002", "sq-003", "sq-004", "sq-179", "sq-237", "sq-236", "wa-033"]),
    ("xl-links", "where can I get my bracelet shortened? need links removed", "en", "cross_language",
     "removing links / shortening a metal bracelet",
     ["sq-017", "sq-202", "sq-240", "sq-241", "sq-239"]),
    ("xl-fog", "water got inside my watch after swimming, fog under the glass", "en", "cross_language",
     "condensation or water inside a watch", ["sq-020", "sq-188"]),
    ("xl-lost-parcel", "my parcel was lost by the carrier", "en", "cross_language",
     "a parcel lost, emptied or not arrived", ["sq-013", "sq-231", "sq-232", "sq-162", "sq-164", "wa-135"]),
    ("xl-us-shipping", "how long does delivery to the US take?", "en", "cross_language",
     "how long shipping to the United States takes", ["sq-233", "sq-235"]),
    ("xl-customs", "combien de temps un colis reste bloqué à la douane ?", "fr", "cross_language",
     "a parcel held in customs (how long)", ["sq-183", "wa-246", "sq-010"]),
    ("xl-accuracy", "la montre prend de l'avance, il faut la régler", "fr", "cross_language",
     "a watch gaining or losing time (accuracy, regulation)", ["sq-187", "sq-019", "sq-018", "sq-257"]),
    ("xl-fake", "comment repérer une fausse montre ?", "fr", "cross_language",
     "fakes: spotting them, warnings, doubtful references",
     ["sq-031", "sq-032", "sq-245", "wa-240", "wa-212", "sq-223", "wa-265"]),
    ("xl-caseback", "can you send photos of the caseback?", "en", "cross_language",
     "asking for or sending photos of the caseback", ["wa-043", "sq-024", "sq-025", "sq-184"]),
    ("xl-negotiable", "est-ce que le prix est négociable ?", "fr", "cross_language",
     "negotiating a price: asking for a discount, an offer, a last price, or a firm price",
     ["sq-185", "wa-205", "wa-142", "sq-033", "sq-034", "sq-035", "wa-075", "wa-288", "wa-169", "wa-210"]),
    ("xl-newyear", "happy new year everyone", "en", "cross_language", "new year wishes", ["sq-166", "wa-140"]),
    ("xl-meet", "can we meet in person for the handover?", "en", "cross_language",
     "arranging to meet in person (hand-over, viewing, meeting point)",
     ["wa-017", "wa-109", "sq-036", "sq-037", "wa-192", "sq-255", "sq-256", "wa-208", "wa-279"]),
    ("xl-first-watch", "first watch recommendation for a teenager", "en", "cross_language",
     "advice for or offers of a first / beginner's watch", ["wa-252", "sq-126", "sq-194", "sq-075"]),
    # Chatter in the language of most answers.
    ("chat-payment-method", "paiement PayPal ou virement ?", "fr", "chatter",
     "how to pay: PayPal, transfer, cash, cheque, instalments",
     ["wa-262", "sq-005", "sq-006", "sq-205", "sq-180", "sq-203", "sq-204"]),
    ("chat-leather-strap", "bracelet cuir usé à refaire", "fr", "chatter",
     "a worn leather strap to replace or have made", ["sq-015", "sq-186"]),
    ("chat-service", "révision complète chez un horloger, prix et délai", "fr", "chatter",
     "servicing a watch: who, how much, how long",
     ["sq-018", "sq-023", "sq-157", "wa-072", "wa-217", "sq-189", "sq-246"]),
    ("chat-crystal", "scratched sapphire crystal, replace it?", "en", "chatter",
     "a scratched crystal to replace or polish", ["sq-021", "sq-242"]),
    ("chat-battery", "changer la pile d'une montre quartz", "fr", "chatter",
     "replacing a quartz watch's battery", ["sq-022", "sq-243"]),
    ("chat-crown", "the crown won't screw down", "en", "chatter", "a screw-down crown that no longer screws",
     ["sq-153", "sq-244"]),
    ("chat-scam", "arnaque, le vendeur a disparu après l'acompte", "fr", "chatter",
     "a seller suspected or shown to be a scammer", ["sq-178", "wa-107"]),
    ("chat-insurance", "assurance pour ma collection de montres", "fr", "chatter", "insuring watches",
     ["sq-253", "sq-254"]),
    ("chat-wristshot", "photos au poignet", "fr", "chatter", "asking for or sending wrist shots",
     ["sq-026", "wa-178", "sq-263", "sq-172"]),
    ("chat-trade-speedy", "échange Speedmaster contre Seamaster", "fr", "chatter",
     "a trade of a Speedmaster for a Seamaster", ["sq-038", "sq-198"]),
]
for qid, q, lang, kind, why, ids in CHATTER:
    QUERIES.append(dict(id=qid, q=q, lang=lang, kind=kind, why=why, add=ids))

KIND_CRITERIA = {
    "reference": "the message names this reference (any spacing or case)",
    "family": "the message is about a watch of this family (named, misspelt, or by one of its references)",
    "nickname": "the message names the nickname or a reference the trade means by it",
}

# Hand decisions on the rules' candidates (read one by one).
DECISIONS = {
    "fam-royaloak": {"drop": ["rwx-1ca58vg", "rwx-1cbj591"]},  # an Invicta, a mod
    "fam-explorer2": {"drop": ["rwx-1ce3bpu", "wa-091", "sq-065"]},  # a Pagani; two Explorer 214270 (not II)
    "nick-panda": {"drop": ["rwx-1cahb6h"]},  # a white-gold "ghost" dial Daytona on rubber
    "need-nautilus": {"drop": ["rwx-1ccvqlz", "wa-209", "sq-124", "sq-190"]},  # a Hamilton; wanted posts
    "need-sub-10k": {"drop": ["rwx-1cabo6d", "rwx-1cba4z6", "rwx-1cbfi3b", "rwx-1cblwjs", "wa-137", "sq-081",
                              "sq-134"],  # Doxa and Tudor Subs, a bezel insert, a Hamilton, a question
                     "add": ["wa-151"]},  # a list: Sub 114060 at 9,400 beside an Explorer II at 10,200
    "need-vintage-chrono70": {"drop": ["rwx-1caiqvo", "rwx-1cap4gr", "sq-259"]},  # not a chronograph; modern
    "need-gmt-10k": {"drop": ["rwx-1cbglay", "rwx-1ccaee4", "rwx-1ce2nav"]},  # divers with a Pepsi bezel, no GMT
    "need-diver-5k": {
        # Not automatic (hand-wound, quartz, solar, unknown), not a dive watch, straps, wanted posts, a
        # Speedmaster sold (the BB58 is wanted in trade).
        "drop": ["rwx-1c9zhp2", "rwx-1cadwwp", "rwx-1cafxxz", "rwx-1cajzgn", "rwx-1cat22h", "rwx-1cbcobh",
                 "rwx-1cblwjs", "rwx-1cbmqc2", "rwx-1cbyog6", "rwx-1cc238v", "rwx-1cc57yk", "rwx-1ccaee4",
                 "rwx-1ccep2v", "rwx-1ccscmx", "rwx-1cd30zf", "rwx-1cd5anx", "rwx-1cd8e9q", "rwx-1ce1s28",
                 "rwx-1ce2j06", "wa-069", "wa-202", "wa-232", "wa-275", "sq-125"],
        "add": ["sq-118"]},  # a list: BB58 at 3,100 beside a Submariner at 9,300
    "need-cheap-diver": {"drop": ["rwx-1cafxxz", "rwx-1cbcobh", "rwx-1ccscmx"]},  # straps; not a diver
    "need-cheap-quartz": {"drop": ["rwx-1cafxxz"]},  # a strap
    # Straps, bracelets and clasps of 20-24 mm, not watches.
    "need-small-ladies": {"drop": ["rwx-1ca9fjk", "rwx-1caeu74", "rwx-1capemw", "rwx-1cbdfsv", "rwx-1cbdkfw",
                                   "rwx-1cbdmz9", "rwx-1cbdq33", "rwx-1cc4m03", "rwx-1ccf647", "rwx-1ccscmx",
                                   "rwx-1cd2t8v", "rwx-1cd7vmi", "sq-148"]},
    # Wanted posts, a question about who sold one, a service story.
    "need-lange1": {"drop": ["wa-094", "sq-131", "sq-248", "wa-030", "sq-246"]},
}

NUM = r"\d{1,3}(?:[ .,'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
CUR = r"(?:[$€£]|chf|usd|eur|euros?|e\b|bucks)"
PRE = r"(?:[$\u20ac\u00a3]|\bchf|\busd|\beur)"
PRICE = re.compile(rf"(?:{PRE}\s?)?(?<![\w.,])(\d+(?:[.,]\d)?)\s?k(\d?)\b|{PRE}\s?({NUM})|(?<![\w.,'])({NUM})\s?{CUR}", re.I)


def _number(raw):
    if re.search(r"[ .,'’]\d{3}(?:[.,]\d{1,2})?$", raw) and not re.fullmatch(r"\d+[.,]\d{1,2}", raw):
        head = re.sub(r"[.,]\d{1,2}$", "", raw) if re.search(r"[ .,'’]\d{3}[.,]\d{1,2}$", raw) else raw
        return float(re.sub(r"[ .,'’]", "", head))
    return float(raw.replace(",", "."))


def prices(text):
    """Every price the text states, as numbers (rough: '3k9' is 3900, '$4,200' 4200, '9 800€' 9800)."""
    found = []
    for m in PRICE.finditer(text):
        if m.group(1) is not None:
            found.append(float(m.group(1).replace(",", ".")) * 1000 + (int(m.group(2)) * 100 if m.group(2) else 0))
        else:
            found.append(_number(m.group(3) or m.group(4)))
    return found


def candidates(q, rows):
    if "rule" not in q:
        return []
    rx = re.compile(q["rule"])
    out = []
    for mid, _, text in rows:
        folded = fold(text)
        if not rx.search(folded):
            continue
        if "prices" in q:
            lo, hi = q["prices"]
            ps = prices(text)
            if not ps or not all(lo <= p <= hi for p in ps):
                continue
        out.append(mid)
    return out


def relevant(q, rows):
    drop = set(DECISIONS.get(q["id"], {}).get("drop", [])) | set(q.get("drop", []))
    add = list(DECISIONS.get(q["id"], {}).get("add", [])) + list(q.get("add", []))
    ids = [m for m in candidates(q, rows) if m not in drop]
    if "drop_rule" in q:
        rx = re.compile(q["drop_rule"])
        text = {m: fold(t) for m, _, t in rows}
        ids = [m for m in ids if not rx.search(text[m])]
    return ids + [m for m in add if m not in ids]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", help="print a query's candidates and decisions")
    args = ap.parse_args()
    rows = corpus.load()
    text = {m: t for m, _, t in rows}
    if args.show:
        q = next(q for q in QUERIES if q["id"] == args.show)
        rel = set(relevant(q, rows))
        for m in candidates(q, rows) + [m for m in relevant(q, rows) if m not in candidates(q, rows)]:
            print(("+" if m in rel else "-"), m, repr(text[m][:150]))
        return
    assert len({q["id"] for q in QUERIES}) == len(QUERIES)
    with open(os.path.join(HERE, "queries.jsonl"), "w", encoding="utf-8") as fh:
        for q in QUERIES:
            rel = relevant(q, rows)
            missing = [m for m in rel if m not in text]
            assert not missing, (q["id"], missing)
            assert rel, q["id"]
            fh.write(json.dumps({"id": q["id"], "query": q["q"], "lang": q["lang"], "kind": q["kind"],
                                 "criterion": q.get("why") or KIND_CRITERIA[q["kind"]], "relevant": rel},
                                ensure_ascii=False) + "\n")
            print(f"{q['id']:22} {len(rel):4}")
    print(len(QUERIES), "queries")


if __name__ == "__main__":
    main()
