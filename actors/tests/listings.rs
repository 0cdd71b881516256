//! The watch-listing extractor on the ways dealers write: each price spelling, each way of saying box
//! and papers, years, sizes, brands by alias and nickname, references in the maker's form, the type of
//! message, several watches in one message, and chatter that is no listing.

use actors::listings::{extract, Condition, Extraction, Listing, MessageType, PriceType};

fn one(text: &str) -> Listing {
    let e = extract(text);
    assert!(!e.listings.is_empty(), "no listing in {text:?}: {e:?}");
    e.listings[0].clone()
}

fn price(text: &str) -> (Option<f64>, Option<String>) {
    let l = one(text);
    (l.price, l.currency)
}

fn slice(text: &str, span: actors::listings::Span) -> String {
    text.chars()
        .skip(span.start as usize)
        .take((span.end - span.start) as usize)
        .collect()
}

#[test]
fn every_dealer_spelling_of_a_price() {
    let eur = |v: f64| (Some(v), Some("EUR".to_string()));
    assert_eq!(price("Rolex Sub 8200€"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8 200 €"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8\u{a0}200\u{a0}€"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8.200€"), eur(8200.0));
    assert_eq!(price("Rolex Sub €8,200"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8,2k€"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8k2"), eur(8200.0));
    assert_eq!(price("Rolex Sub 8200 euros"), eur(8200.0));
    assert_eq!(price("Rolex Sub 12 500 EUR"), eur(12500.0));
    assert_eq!(
        price("Rolex Sub CHF 8'500"),
        (Some(8500.0), Some("CHF".into()))
    );
    assert_eq!(
        price("Rolex Sub CHF 8’500.-"),
        (Some(8500.0), Some("CHF".into()))
    );
    assert_eq!(
        price("Rolex Sub $12,500"),
        (Some(12500.0), Some("USD".into()))
    );
    assert_eq!(
        price("Rolex Sub 12.5k USD"),
        (Some(12500.0), Some("USD".into()))
    );
    assert_eq!(price("Rolex Sub 9.8k"), eur(9800.0));
    assert_eq!(
        price("Rolex Sub £7,995"),
        (Some(7995.0), Some("GBP".into()))
    );
    assert_eq!(price("Rolex Sub 9800e"), eur(9800.0));
    assert_eq!(price("Vends Rolex Sub 9800e"), eur(9800.0));
}

#[test]
fn a_bare_number_in_french_is_euros_said_to_be_implied() {
    // A stock line with no word of any language is read as the French groups write it.
    assert!(one("Rolex Sub 8k2").currency_implied);
    // In English, a bare number is no price without a word that makes it one.
    assert_eq!(one("Selling my Rolex Sub, asking 9800").currency, None);
    assert_eq!(one("Selling my Rolex Sub, asking 9800").price, Some(9800.0));
    let l = one("Vends Rolex Submariner 116610LN de 2018, très bon état, 9800");
    assert_eq!(l.price, Some(9800.0));
    assert_eq!(l.currency.as_deref(), Some("EUR"));
    assert!(l.currency_implied);
    let l = one("Vends Rolex Submariner 9800€");
    assert!(!l.currency_implied);
}

#[test]
fn price_types() {
    assert_eq!(
        one("Vends Sub 9800€ à débattre").price_type,
        Some(PriceType::Negotiable)
    );
    assert_eq!(
        one("Vends Sub 9800€ négociable").price_type,
        Some(PriceType::Negotiable)
    );
    assert_eq!(
        one("WTS Rolex Sub $9,800 ono").price_type,
        Some(PriceType::Negotiable)
    );
    assert_eq!(
        one("WTS Rolex Sub $9,800 OBO").price_type,
        Some(PriceType::Negotiable)
    );
    assert_eq!(
        one("Rolex Sub 9800€ vendue").price_type,
        Some(PriceType::Sold)
    );
    assert_eq!(
        one("SOLD Omega Speedmaster $4,200").price_type,
        Some(PriceType::Sold)
    );
    assert_eq!(one("Vends Sub 9800€").price_type, Some(PriceType::Asking));
}

#[test]
fn box_and_papers() {
    let kit = |t: &str| {
        let l = one(t);
        (l.has_box, l.papers)
    };
    assert_eq!(kit("Rolex Sub full set"), (Some(true), Some(true)));
    assert_eq!(kit("Rolex Sub B&P"), (Some(true), Some(true)));
    assert_eq!(kit("Rolex Sub boîte et papiers"), (Some(true), Some(true)));
    assert_eq!(kit("Rolex Sub sans papiers"), (None, Some(false)));
    assert_eq!(
        kit("Rolex Sub avec boîte, sans papiers"),
        (Some(true), Some(false))
    );
    assert_eq!(kit("Rolex Sub watch only"), (Some(false), Some(false)));
    assert_eq!(kit("Rolex Sub naked"), (Some(false), Some(false)));
    assert_eq!(
        kit("Rolex Sub, no box or papers"),
        (Some(false), Some(false))
    );
    assert_eq!(
        kit("Rolex Sub, I do not have the box or papers"),
        (Some(false), Some(false))
    );
    assert_eq!(kit("Rolex Sub 9800€"), (None, None));
}

#[test]
fn years_and_not_references() {
    assert_eq!(one("Rolex Sub de 2018").year, Some(2018));
    assert_eq!(one("Rolex Sub année 2018").year, Some(2018));
    assert_eq!(one("Rolex Sub Bj 2018").year, Some(2018));
    assert_eq!(one("Rolex Sub 2018 full set").year, Some(2018));
    assert_eq!(one("Rolex Sub papiers 12/2019").year, Some(2019));
    let l = one("Rolex 116610LN 9800€");
    assert_eq!(l.year, None);
    assert_eq!(l.reference.as_deref(), Some("116610LN"));
    // A year is not a price, a price is not a year.
    let l = one("Vends Rolex Sub 2018 9800€");
    assert_eq!((l.year, l.price), (Some(2018), Some(9800.0)));
    let l = one("Vends Rolex Sub 2019€");
    assert_eq!((l.year, l.price), (None, Some(2019.0)));
}

#[test]
fn sizes_and_movements() {
    assert_eq!(one("Omega Seamaster 40mm").size_mm, Some(40.0));
    assert_eq!(one("Omega Seamaster 41 mm").size_mm, Some(41.0));
    assert_eq!(one("Omega Seamaster 39,5mm").size_mm, Some(39.5));
    assert_eq!(
        one("Longines Legend Diver 42mm automatique")
            .movement
            .as_deref(),
        Some("automatic")
    );
    assert_eq!(
        one("Seiko Prospex quartz").movement.as_deref(),
        Some("quartz")
    );
    assert_eq!(
        one("Lange 1815 remontage manuel").movement.as_deref(),
        Some("manual")
    );
    assert_eq!(
        one("Grand Seiko Spring Drive SBGA211").movement.as_deref(),
        Some("spring_drive")
    );
}

#[test]
fn conditions() {
    assert_eq!(one("Rolex Sub neuve").condition, Some(Condition::New));
    assert_eq!(
        one("Rolex Sub jamais portée stickers").condition,
        Some(Condition::Unworn)
    );
    assert_eq!(
        one("Rolex Sub très bon état").condition,
        Some(Condition::VeryGood)
    );
    assert_eq!(one("Rolex Sub bon état").condition, Some(Condition::Good));
    assert_eq!(one("Rolex Sub mint").condition, Some(Condition::Excellent));
    assert_eq!(one("Rolex Sub pre-owned").condition, Some(Condition::Used));
}

#[test]
fn brands_by_alias_and_misspelling() {
    let brand = |t: &str| one(t).brand;
    assert_eq!(brand("rollex sub").as_deref(), Some("Rolex"));
    assert_eq!(brand("JLC Reverso").as_deref(), Some("Jaeger-LeCoultre"));
    assert_eq!(
        brand("Jaeger Lecoultre Master Ultra Thin").as_deref(),
        Some("Jaeger-LeCoultre")
    );
    assert_eq!(
        brand("AP Royal Oak 15202ST").as_deref(),
        Some("Audemars Piguet")
    );
    assert_eq!(
        brand("Lange Datograph").as_deref(),
        Some("A. Lange & Söhne")
    );
    assert_eq!(
        brand("A. Lange & Sohne 1815").as_deref(),
        Some("A. Lange & Söhne")
    );
    assert_eq!(
        brand("VC Overseas 4500V").as_deref(),
        Some("Vacheron Constantin")
    );
    assert_eq!(brand("PP 5711").as_deref(), Some("Patek Philippe"));
    assert_eq!(brand("GO Senator").as_deref(), Some("Glashütte Original"));
    assert_eq!(brand("Tag Heuer Carrera").as_deref(), Some("TAG Heuer"));
    // "go" and "ap" as words are no brands.
    assert!(extract("on y go ap demain").listings.is_empty());
}

#[test]
fn families_and_nicknames() {
    let fam = |t: &str| {
        let l = one(t);
        (l.brand.unwrap_or_default(), l.model.unwrap_or_default())
    };
    let is = |b: &str, m: &str| (b.to_string(), m.to_string());
    assert_eq!(fam("Hulk dispo"), is("Rolex", "Submariner"));
    assert_eq!(fam("Kermit 16610LV"), is("Rolex", "Submariner"));
    assert_eq!(fam("Pepsi full set"), is("Rolex", "GMT-Master II"));
    assert_eq!(fam("Batman 2019"), is("Rolex", "GMT-Master II"));
    assert_eq!(fam("Starbucks 126610LV"), is("Rolex", "Submariner"));
    assert_eq!(fam("Root beer 126711CHNR"), is("Rolex", "GMT-Master II"));
    assert_eq!(fam("Daytona Paul Newman"), is("Rolex", "Daytona"));
    assert_eq!(fam("Panda daytona 116500LN"), is("Rolex", "Daytona"));
    assert_eq!(fam("Moonwatch hesalite"), is("Omega", "Speedmaster"));
    assert_eq!(fam("Tudor BB58 bleue"), is("Tudor", "Black Bay"));
    assert_eq!(fam("Tudor BB 41"), is("Tudor", "Black Bay"));
    assert_eq!(
        fam("Royal Oak Offshore"),
        is("Audemars Piguet", "Royal Oak Offshore")
    );
    assert_eq!(fam("Lange 1 Time Zone"), is("A. Lange & Söhne", "Lange 1"));
    assert_eq!(
        fam("Grand Lange 1 lumen"),
        is("A. Lange & Söhne", "Grand Lange 1")
    );
    assert_eq!(
        fam("Omega Seamaster Planet Ocean"),
        is("Omega", "Seamaster")
    );
}

#[test]
fn references_in_the_makers_form_and_what_they_imply() {
    let r = |t: &str| {
        let l = one(t);
        (
            l.reference.unwrap_or_default(),
            l.brand.unwrap_or_default(),
            l.model.unwrap_or_default(),
        )
    };
    let is = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(r("116610LN"), is("116610LN", "Rolex", "Submariner"));
    assert_eq!(r("116610 LN"), is("116610LN", "Rolex", "Submariner"));
    assert_eq!(
        r("126710BLRO 2021"),
        is("126710BLRO", "Rolex", "GMT-Master II")
    );
    assert_eq!(r("5711/1A"), is("5711/1A", "Patek Philippe", "Nautilus"));
    assert_eq!(
        r("5711/1a-010"),
        is("5711/1A-010", "Patek Philippe", "Nautilus")
    );
    assert_eq!(
        r("311.30.42.30.01.005"),
        is("311.30.42.30.01.005", "Omega", "Speedmaster")
    );
    assert_eq!(r("15202ST"), is("15202ST", "Audemars Piguet", "Royal Oak"));
    assert_eq!(r("IW500710"), is("IW500710", "IWC", "Portugieser"));
    assert_eq!(r("PAM01312"), is("PAM01312", "Panerai", ""));
    assert_eq!(r("PAM 1312"), is("PAM01312", "Panerai", ""));
    assert_eq!(r("101.030"), is("101.030", "A. Lange & Söhne", "Lange 1"));
    assert_eq!(r("Ref. 414.026"), is("414.026", "A. Lange & Söhne", "1815"));
    assert_eq!(r("M79030N-0001"), is("M79030N-0001", "Tudor", "Black Bay"));
    assert_eq!(
        r("SBGA211 snowflake"),
        is("SBGA211", "Grand Seiko", "Snowflake")
    );
    // A bare five-digit number is a reference only beside its brand.
    assert_eq!(r("Rolex 16610"), is("16610", "Rolex", "Submariner"));
    assert_eq!(extract("16610").listings.len(), 0);
}

#[test]
fn message_types() {
    let kind = |t: &str| extract(t).kind;
    assert_eq!(kind("Vends Sub 116610LN 9800€"), MessageType::Sale);
    assert_eq!(kind("A vendre Rolex GMT 2019"), MessageType::Sale);
    assert_eq!(kind("Dispo Daytona 116500LN"), MessageType::Sale);
    assert_eq!(kind("WTS Omega Speedmaster"), MessageType::Sale);
    assert_eq!(kind("FS: Tudor Pelagos $3,500"), MessageType::Sale);
    assert_eq!(kind("Cherche Sub 116610LN"), MessageType::Wanted);
    assert_eq!(
        kind("Recherche Nautilus 5711 pour client"),
        MessageType::Wanted
    );
    assert_eq!(kind("WTB Grand Seiko SBGA211"), MessageType::Wanted);
    assert_eq!(kind("ISO Rolex Explorer 124270"), MessageType::Wanted);
    assert_eq!(
        kind("J'achète Rolex toutes références"),
        MessageType::Wanted
    );
    assert_eq!(kind("Sub dispo ?"), MessageType::Question);
    // Asking who has a watch is looking for it.
    assert_eq!(kind("Quelqu'un a une Daytona ?"), MessageType::Wanted);
    assert_eq!(kind("Prix ? la GMT Pepsi"), MessageType::Question);
    assert_eq!(
        kind("Any info on this Omega Seamaster?"),
        MessageType::Question
    );
    assert_eq!(kind("Échange ma Sub contre GMT"), MessageType::Trade);
    assert_eq!(kind("WTT my Tudor BB58 for a Sinn 104"), MessageType::Trade);
    assert_eq!(kind("Vends ou échange Speedmaster"), MessageType::Sale);
    assert_eq!(kind("Rolex Sub 116610LN 9800€"), MessageType::Sale);
}

#[test]
fn chatter_is_general_with_no_listing() {
    for t in [
        "Bonjour à tous",
        "Merci 🙏",
        "ok je regarde ce soir",
        "Bonne soirée tout le monde !",
        "Haha 😂😂",
        "Je serai au salon samedi, on se voit là-bas",
        "Thanks mate, received today",
        "",
        "   ",
        "RDV 14h30 au 12 rue de la Paix",
    ] {
        let e = extract(t);
        assert_eq!(e.kind, MessageType::General, "{t:?}: {e:?}");
        assert!(e.listings.is_empty(), "{t:?}: {e:?}");
        assert!(!e.is_worth_recording(), "{t:?}");
    }
}

#[test]
fn several_watches_each_with_its_price() {
    let e = extract(
        "Bonjour, dispo cette semaine :\n\
         - Rolex Submariner 116610LN 2018 full set 9 800€\n\
         - Omega Speedmaster Moonwatch 311.30.42.30.01.005 B&P 5 200€\n\
         - Tudor BB58 bleue 2021 sans papiers 2900€\n\
         Prix à débattre",
    );
    assert_eq!(e.kind, MessageType::Sale);
    assert_eq!(e.language.as_deref(), Some("fr"));
    let got: Vec<(Option<&str>, Option<&str>, Option<f64>)> = e
        .listings
        .iter()
        .map(|l| (l.brand.as_deref(), l.model.as_deref(), l.price))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("Rolex"), Some("Submariner"), Some(9800.0)),
            (Some("Omega"), Some("Speedmaster"), Some(5200.0)),
            (Some("Tudor"), Some("Black Bay"), Some(2900.0)),
        ]
    );
    assert_eq!(e.listings[0].year, Some(2018));
    assert_eq!(e.listings[2].papers, Some(false));
    assert!(e
        .listings
        .iter()
        .all(|l| l.price_type == Some(PriceType::Negotiable)));
}

#[test]
fn several_watches_on_one_line() {
    let e = extract("Vends Sub 116610LN 9800€ et GMT 126710BLRO 17500€");
    let got: Vec<(Option<&str>, Option<f64>)> = e
        .listings
        .iter()
        .map(|l| (l.reference.as_deref(), l.price))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("116610LN"), Some(9800.0)),
            (Some("126710BLRO"), Some(17500.0))
        ]
    );
}

#[test]
fn a_list_of_prices_after_a_list_of_watches_is_shared_out_in_order() {
    let prices = |text: &str| -> Vec<(Option<String>, Option<f64>)> {
        extract(text)
            .listings
            .into_iter()
            .map(|l| (l.model, l.price))
            .collect()
    };
    let s = |m: &str| Some(m.to_owned());
    assert_eq!(
        prices("Dispo : Submariner 116610LN, Daytona 116500LN et GMT 126710BLRO. Prix : 9800€, 25000€, 17000€"),
        vec![
            (s("Submariner"), Some(9800.0)),
            (s("Daytona"), Some(25000.0)),
            (s("GMT-Master II"), Some(17000.0)),
        ]
    );
    // A watch with its own price first: the list is the others'; prices split by slashes.
    assert_eq!(
        prices(
            "Vends Submariner 116610LN 9800€\nDaytona 116500LN, GMT 126710BLRO : 25000€ / 17 000€"
        ),
        vec![
            (s("Submariner"), Some(9800.0)),
            (s("Daytona"), Some(25000.0)),
            (s("GMT-Master II"), Some(17000.0)),
        ]
    );
    // A rate, its slash glued, is still no price.
    assert_eq!(price("Location Submariner 50€/jour"), (None, None));
    // Counts that do not match are a guess: left as read.
    let e =
        extract("Submariner 116610LN, Daytona 116500LN, GMT-Master II 126710BLRO : 9800€ 25000€");
    assert_eq!(
        e.listings.iter().filter(|l| l.price.is_some()).count(),
        1,
        "{e:?}"
    );
}

#[test]
fn realistic_french_dealer_messages() {
    let e = extract("🔥 Dispo de suite 🔥\nRolex Daytona 116500LN cadran blanc\nAnnée 2020 full set\n26.500€ \nPossibilité échange");
    assert_eq!(e.kind, MessageType::Sale);
    let l = &e.listings[0];
    assert_eq!(l.model.as_deref(), Some("Daytona"));
    assert_eq!(l.reference.as_deref(), Some("116500LN"));
    assert_eq!(
        (l.year, l.price, l.currency.as_deref()),
        (Some(2020), Some(26500.0), Some("EUR"))
    );
    assert_eq!((l.has_box, l.papers), (Some(true), Some(true)));

    let e =
        extract("Je recherche pour un client une AP 15500ST bleu, budget 32k max, merci de me MP");
    assert_eq!(e.kind, MessageType::Wanted);
    let l = &e.listings[0];
    assert_eq!(l.brand.as_deref(), Some("Audemars Piguet"));
    assert_eq!(l.model.as_deref(), Some("Royal Oak"));
    assert_eq!(l.reference.as_deref(), Some("15500ST"));
    assert_eq!(l.price, Some(32000.0));

    let e = extract("Vds IWC Portugieser chrono IW371605 de 2017, révisée 2023, boite + papiers, 6.900 € frais de port offerts");
    let l = &e.listings[0];
    assert_eq!(l.brand.as_deref(), Some("IWC"));
    assert_eq!(l.year, Some(2017));
    assert_eq!(l.price, Some(6900.0));

    let e = extract("Quelqu'un a une Hulk à vendre ? Full set de préférence");
    assert_eq!(e.kind, MessageType::Wanted);
    assert_eq!(e.listings[0].model.as_deref(), Some("Submariner"));
}

#[test]
fn realistic_english_dealer_messages() {
    let e = extract("[WTS] Cartier Santos Large Blue Dial - WSSA0030. Box and warranty card included. Great condition. $6,500 shipped.");
    assert_eq!(e.kind, MessageType::Sale);
    assert_eq!(e.language.as_deref(), Some("en"));
    let l = &e.listings[0];
    assert_eq!(l.brand.as_deref(), Some("Cartier"));
    assert_eq!(l.model.as_deref(), Some("Santos"));
    assert_eq!(l.reference.as_deref(), Some("WSSA0030"));
    assert_eq!(
        (l.price, l.currency.as_deref()),
        (Some(6500.0), Some("USD"))
    );
    assert_eq!(l.condition, Some(Condition::VeryGood));

    let e = extract("[WTB] Looking for a Tudor Black Bay 58 navy, budget around 3k");
    assert_eq!(e.kind, MessageType::Wanted);
    assert_eq!(e.listings[0].model.as_deref(), Some("Black Bay"));
    assert_eq!(e.listings[0].price, Some(3000.0));

    let e = extract("2011 Cartier Roadster - W6206017 in great condition. It fits like a 41mm watch. I do not have a box or papers anymore.");
    let l = &e.listings[0];
    assert_eq!(l.year, Some(2011));
    assert_eq!(l.reference.as_deref(), Some("W6206017"));
    assert_eq!((l.has_box, l.papers), (Some(false), Some(false)));
}

#[test]
fn spans_point_at_the_words() {
    let text = "Vends Rolex Submariner 116610LN full set 2018 9 800 €";
    let e = extract(text);
    let l = &e.listings[0];
    assert_eq!(slice(text, l.spans["brand"]), "Rolex");
    assert_eq!(slice(text, l.spans["model"]), "Submariner");
    assert_eq!(slice(text, l.spans["reference"]), "116610LN");
    assert_eq!(slice(text, l.spans["year"]), "2018");
    assert_eq!(slice(text, l.spans["price"]), "9 800 €");
    assert_eq!(slice(text, l.spans["box"]), "full set");
    assert_eq!(slice(text, e.spans["type"]), "Vends");
    // In characters, not bytes: accents and emoji before do not shift them.
    let text = "🔥é Söhne — Lange 1 101.032 à 28 500 €";
    let e = extract(text);
    let l = &e.listings[0];
    assert_eq!(slice(text, l.spans["reference"]), "101.032");
    assert_eq!(slice(text, l.spans["price"]), "28 500 €");
}

#[test]
fn language() {
    let lang = |t: &str| extract(t).language;
    assert_eq!(
        lang("Je vends ma Rolex avec boîte et papiers").as_deref(),
        Some("fr")
    );
    assert_eq!(
        lang("Selling my Rolex with box and papers").as_deref(),
        Some("en")
    );
}

#[test]
fn confidence_is_a_share() {
    for t in ["Vends Sub 116610LN 9800€", "bonjour", "", "Rolex"] {
        let Extraction { confidence, .. } = extract(t);
        assert!((0.0..=1.0).contains(&confidence), "{t}: {confidence}");
    }
}

#[test]
fn another_brands_word_inside_a_description_is_no_second_watch() {
    let e = extract("Seiko Brightz SDGC021 Silver Day Date Automatic - $350");
    assert_eq!(e.listings.len(), 1, "{e:?}");
    assert_eq!(e.listings[0].brand.as_deref(), Some("Seiko"));
    assert_eq!(e.listings[0].price, Some(350.0));
}

#[test]
fn an_offer_of_an_unknown_maker_is_a_listing_without_brand() {
    let e = extract("Vends montre de plongée automatique 42mm, très bon état, 450€");
    assert_eq!(e.kind, MessageType::Sale);
    let l = &e.listings[0];
    assert_eq!((l.brand.as_deref(), l.price), (None, Some(450.0)));
    // With no price nor anything said of a watch, thanks for a sale are talk.
    let e = extract("Vendue, merci à tous 🙏");
    assert_eq!(e.kind, MessageType::General);
    assert!(e.listings.is_empty());
}

#[test]
fn carats_and_model_numbers_are_no_prices() {
    assert_eq!(one("Omega De Ville 18k gold").price, None);
    assert_eq!(one("Vends Nomos Ahoi 550 automatique").price, None);
    assert_eq!(one("Omega De Ville 18k gold $2,400").price, Some(2400.0));
}
