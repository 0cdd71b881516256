import { describe, expect, it } from "vitest";
import { currencySymbol, formatPrice, formatSize, hasMatches, linear, markPieces, niceTicks, priceSeries, spanOf, toUtf16, watchName, type Listing } from "./logic";
import { filterProblem } from "./ListingsScreen";
import { NO_FILTER } from "./queries";

function listing(fields: Partial<Listing>): Listing {
  return {
    conversation_id: "c1",
    message_id: "wamid.1",
    index: 0,
    account_id: "111",
    contact_id: "447700900501",
    direction: "inbound",
    type: "sale",
    confidence: 0.9,
    currency_implied: false,
    spans: {},
    extractor_version: 1,
    method: "rules",
    written_at: "2026-11-30T10:00:00Z",
    ...fields,
  };
}

/** What the marked characters of `text` are once cut at `range`. */
function marked(text: string, range: { start: number; end: number } | null): string {
  return markPieces([text], range)[0]!
    .filter((p) => p.marked)
    .map((p) => p.text)
    .join("");
}

describe("a span counted in characters", () => {
  it("is the same stretch in plain ASCII", () => {
    expect(toUtf16("Vends Rolex Sub", 6, 11)).toEqual({ start: 6, end: 11 });
  });

  it("moves past an emoji, which JavaScript counts as two units", () => {
    const text = "⌚️🔥 Vends Rolex Submariner";
    // ⌚ U+231A, the variation selector U+FE0F, 🔥 (two UTF-16 units), a space: 4 characters, 5 units.
    const range = toUtf16(text, 10, 15);
    expect(range).toEqual({ start: 11, end: 16 });
    expect(marked(text, range)).toBe("Rolex");
  });

  it("keeps accented letters (one unit each) and counts an emoji inside the span", () => {
    const text = "Année 2018 😍 Lange 1 à vendre";
    expect(marked(text, toUtf16(text, 0, 5))).toBe("Année");
    expect(marked(text, toUtf16(text, 11, 20))).toBe("😍 Lange 1");
  });

  it("reaches the text's very end, and refuses spans outside it or empty", () => {
    expect(marked("Cherche GMT 🙏", toUtf16("Cherche GMT 🙏", 12, 13))).toBe("🙏");
    expect(toUtf16("short", 2, 9)).toBeNull();
    expect(toUtf16("short", 3, 3)).toBeNull();
    expect(toUtf16("short", -1, 2)).toBeNull();
  });

  it("is read from the listing's spans by field, the message's type under `type`", () => {
    const l = listing({ spans: { brand: { start: 6, end: 11 }, type: { start: 0, end: 5 }, model: "junk" } });
    expect(spanOf(l, "brand", "Vends Rolex")).toEqual({ start: 6, end: 11 });
    expect(spanOf(l, "type", "Vends Rolex")).toEqual({ start: 0, end: 5 });
    expect(spanOf(l, "model", "Vends Rolex")).toBeNull();
    expect(spanOf(listing({ spans: null }), "brand", "Vends Rolex")).toBeNull();
  });
});

describe("marking a range across a message's pieces", () => {
  it("cuts only the pieces the range falls in", () => {
    const pieces = markPieces(["Photos at ", "https://x.org", " Rolex"], { start: 7, end: 15 });
    expect(pieces).toEqual([
      [
        { text: "Photos ", marked: false },
        { text: "at ", marked: true },
      ],
      [
        { text: "https", marked: true },
        { text: "://x.org", marked: false },
      ],
      [{ text: " Rolex", marked: false }],
    ]);
  });

  it("leaves everything unmarked without a range", () => {
    expect(markPieces(["a", "b"], null)).toEqual([[{ text: "a", marked: false }], [{ text: "b", marked: false }]]);
  });
});

describe("formatting", () => {
  it("writes a price as the reader's language does", () => {
    expect(formatPrice(9800, "EUR", "fr-FR").replace(/\s/g, " ")).toBe("9 800 €");
    expect(formatPrice(12500, "USD", "en-US")).toBe("$12,500");
    expect(formatPrice(8500, "CHF", "en-GB")).toContain("8,500");
    expect(formatPrice(8200, null, "en")).toBe("8,200");
  });

  it("keeps a currency code the browser does not know", () => {
    expect(formatPrice(10, "XYZ1", "en")).toBe("10 XYZ1");
    expect(currencySymbol("XYZ1", "en")).toBe("XYZ1");
    expect(currencySymbol("EUR", "fr")).toBe("€");
  });

  it("writes sizes with the reader's decimal mark", () => {
    expect(formatSize(41.5, "fr")).toBe("41,5 mm");
    expect(formatSize(40, "en")).toBe("40 mm");
  });

  it("names the watch by brand and family, and offers matches only for a named offer or request", () => {
    expect(watchName({ brand: "Rolex", model: "Submariner" })).toBe("Rolex Submariner");
    expect(watchName({ brand: "Omega", model: null })).toBe("Omega");
    expect(hasMatches(listing({ brand: "Rolex" }))).toBe(true);
    expect(hasMatches(listing({ type: "wanted", brand: "Rolex" }))).toBe(true);
    expect(hasMatches(listing({ type: "question", brand: "Rolex" }))).toBe(false);
    expect(hasMatches(listing({ brand: null }))).toBe(false);
  });
});

describe("the price chart", () => {
  it("groups offers by family and currency, oldest first, and leaves requests and unpriced ones out", () => {
    const series = priceSeries([
      listing({ brand: "Rolex", model: "Submariner", price: 9800, currency: "EUR", written_at: "2026-11-02T00:00:00Z" }),
      listing({ brand: "Rolex", model: "Submariner", price: 9500, currency: "EUR", written_at: "2026-11-01T00:00:00Z" }),
      listing({ brand: "Rolex", model: "Submariner", price: 11000, currency: "USD" }),
      listing({ type: "wanted", brand: "Rolex", model: "Submariner", price: 10000, currency: "EUR" }),
      listing({ brand: "Rolex", model: "Submariner", price: null, currency: "EUR" }),
    ]);
    expect(series.map((s) => s.key)).toEqual(["Rolex Submariner · EUR", "Rolex Submariner · USD"]);
    expect(series[0]!.points.map((p) => p.price)).toEqual([9500, 9800]);
  });

  it("scales linearly, a single value to the middle", () => {
    const y = linear([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(25)).toBe(150);
    expect(linear([5, 5], [0, 10])(5)).toBe(5);
  });

  it("marks round prices that cover the data", () => {
    expect(niceTicks(9500, 10200)).toEqual([9400, 9600, 9800, 10000, 10200]);
    expect(niceTicks(0, 1)).toEqual([0, 0.5, 1]);
    const one = niceTicks(9800, 9800);
    expect(one[0]).toBeLessThanOrEqual(9800);
    expect(one[one.length - 1]).toBeGreaterThanOrEqual(9800);
    expect(niceTicks(0, 0)).toEqual([0, 1]);
  });
});

describe("the Listings page's filters", () => {
  it("are refused before sending when the rule is known", () => {
    expect(filterProblem(NO_FILTER)).toBeNull();
    expect(filterProblem({ ...NO_FILTER, minPrice: "10000", maxPrice: "9000" })).toBe("listings.badRange");
    expect(filterProblem({ ...NO_FILTER, currency: "euro" })).toBe("listings.badCurrency");
    expect(filterProblem({ ...NO_FILTER, since: "2026-12-01", until: "2026-11-01" })).toBe("listings.badDates");
    expect(filterProblem({ ...NO_FILTER, minPrice: "9000", maxPrice: "10000", currency: "eur" })).toBeNull();
  });
});
