import { describe, expect, it } from "vitest";
import { apiQuery, BLANK, hasCriteria, highlightPieces, queryFromState, reasons, stateFromQuery, stateProblem, toggleFacet, type SearchState } from "./logic";

const marked = (snippet: string, highlights: { start: number; end: number }[]) =>
  highlightPieces(snippet, highlights)
    .filter((p) => p.marked)
    .map((p) => p.text);

describe("the search's address", () => {
  it("is blank for a blank page, and hybrid is the mode unsaid", () => {
    expect(queryFromState(BLANK)).toBe("");
    expect(stateFromQuery("")).toEqual(BLANK);
  });

  it("keeps every field through a round trip, with the API's names", () => {
    const state: SearchState = {
      q: "Submariner 116610LN & more",
      mode: "keyword",
      account: "111",
      conversation: "c/1",
      contact: "447700900501",
      direction: "inbound",
      kind: "text",
      type: "sale",
      brand: "Rolex",
      model: "Submariner",
      reference: "5711/1A",
      since: "2026-11-01",
      until: "2026-11-30",
      minPrice: "9000",
      maxPrice: "12000,50",
      currency: "EUR",
    };
    const query = queryFromState(state);
    expect(query).toContain("q=Submariner+116610LN+%26+more");
    expect(query).toContain("min_price=9000");
    expect(query).toContain("reference=5711%2F1A");
    expect(stateFromQuery(query)).toEqual(state);
    expect(stateFromQuery("?" + query)).toEqual(state);
  });

  it("leaves out what is empty or blank", () => {
    expect(queryFromState({ ...BLANK, q: "  ", brand: " ", mode: "hybrid" })).toBe("");
    expect(queryFromState({ ...BLANK, q: "rolex", mode: "semantic" })).toBe("q=rolex&mode=semantic");
  });

  it("ignores what a hand-edited address gets wrong", () => {
    const state = stateFromQuery("mode=fast&type=watch&direction=sideways&since=yesterday&until=2026-13&brand=Rolex&other=1");
    expect(state).toEqual({ ...BLANK, brand: "Rolex" });
  });

  it("searches when there are words or a filter, not for the mode alone", () => {
    expect(hasCriteria(BLANK)).toBe(false);
    expect(hasCriteria({ ...BLANK, mode: "keyword" })).toBe(false);
    expect(hasCriteria({ ...BLANK, q: "rolex" })).toBe(true);
    expect(hasCriteria({ ...BLANK, brand: "Rolex" })).toBe(true);
  });
});

describe("the filters", () => {
  it("say what is wrong with them", () => {
    expect(stateProblem(BLANK)).toBeNull();
    expect(stateProblem({ ...BLANK, minPrice: "10", maxPrice: "9" })).toBe("search.badRange");
    expect(stateProblem({ ...BLANK, minPrice: "ten" })).toBe("search.badPrice");
    expect(stateProblem({ ...BLANK, maxPrice: "-1" })).toBe("search.badPrice");
    expect(stateProblem({ ...BLANK, currency: "euro" })).toBe("search.badCurrency");
    expect(stateProblem({ ...BLANK, since: "2026-11-30", until: "2026-11-01" })).toBe("search.badDates");
  });

  it("become the API's parameters: trimmed, prices as numbers, the last day included", () => {
    const query = apiQuery({ ...BLANK, q: " rolex ", minPrice: "9 800".replace(" ", ""), maxPrice: "10000,5", currency: "eur", since: "2026-11-01", until: "2026-11-01" });
    expect(query.q).toBe("rolex");
    expect(query.mode).toBe("hybrid");
    expect(query.min_price).toBe(9800);
    expect(query.max_price).toBe(10000.5);
    expect(query.currency).toBe("EUR");
    expect(query.brand).toBeUndefined();
    expect(query.type).toBeUndefined();
    const since = new Date(query.since ?? "");
    const until = new Date(query.until ?? "");
    expect(until.getTime() - since.getTime()).toBeGreaterThanOrEqual(23 * 3600 * 1000);
    expect(since.getHours()).toBe(0);
  });

  it("apply a facet's value, and take it back when it is clicked again", () => {
    const once = toggleFacet({ ...BLANK, q: "rolex" }, "brand", "Rolex");
    expect(once).toEqual({ ...BLANK, q: "rolex", brand: "Rolex" });
    expect(toggleFacet(once, "brand", "Rolex")).toEqual({ ...BLANK, q: "rolex" });
    expect(toggleFacet(once, "brand", "Omega").brand).toBe("Omega");
  });
});

describe("a snippet's highlights", () => {
  it("mark the characters the server counted", () => {
    expect(marked("Vends Rolex 116610LN", [{ start: 12, end: 20 }])).toEqual(["116610LN"]);
    expect(highlightPieces("Vends Rolex", [])).toEqual([{ text: "Vends Rolex", marked: false }]);
  });

  it("count an emoji as one character, though JavaScript counts two", () => {
    // "⌚" is one UTF-16 unit, "🙂" two: offsets after them are in code points.
    const snippet = "🙂🙂 Vends ⌚ Rolex 116610LN";
    expect(marked(snippet, [{ start: 11, end: 16 }, { start: 17, end: 25 }])).toEqual(["Rolex", "116610LN"]);
    expect(highlightPieces(snippet, [{ start: 0, end: 1 }])[0]).toEqual({ text: "🙂", marked: true });
  });

  it("count accented and non-Latin letters as one character each", () => {
    expect(marked("Montre été — 手表 Patek", [{ start: 7, end: 10 }, { start: 13, end: 15 }, { start: 16, end: 21 }])).toEqual(["été", "手表", "Patek"]);
  });

  it("merge overlapping ones, order them, and ignore those outside the snippet", () => {
    const pieces = highlightPieces("abcdefgh", [
      { start: 5, end: 7 },
      { start: 0, end: 2 },
      { start: 1, end: 3 },
      { start: 4, end: 4 },
      { start: 20, end: 25 },
      { start: 6, end: 40 },
    ]);
    expect(pieces).toEqual([
      { text: "abc", marked: true },
      { text: "de", marked: false },
      { text: "fgh", marked: true },
    ]);
  });

  it("leave markup as text", () => {
    const pieces = highlightPieces("<b>Rolex</b>", [{ start: 3, end: 8 }]);
    expect(pieces.map((p) => p.text).join("")).toBe("<b>Rolex</b>");
    expect(pieces[1]).toEqual({ text: "Rolex", marked: true });
  });
});

describe("why a hit is there", () => {
  it("names an exact reference, then each ranking that found it", () => {
    expect(reasons({ exact: true, keyword_rank: 1, keyword: 0.3, semantic_rank: 4, semantic: 0.8, score: 0.03 })).toEqual([
      { key: "search.why.exact" },
      { key: "search.why.keyword", rank: 1 },
      { key: "search.why.semantic", rank: 4 },
    ]);
    expect(reasons({ exact: false, semantic_rank: 2, score: 0.8 })).toEqual([{ key: "search.why.semantic", rank: 2 }]);
  });

  it("says words or meaning found it when the place is not known (keyword pages are keyed)", () => {
    expect(reasons({ exact: true, keyword: 0.4, score: 0.4 })).toEqual([{ key: "search.why.exact" }, { key: "search.why.words" }]);
    expect(reasons({ exact: false, semantic: 0.8, score: 0.8 })).toEqual([{ key: "search.why.meaning" }]);
    expect(reasons({ exact: false, score: 0 })).toEqual([]);
  });
});
