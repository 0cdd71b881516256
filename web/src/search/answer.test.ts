import { describe, expect, it } from "vitest";
import { answerPieces, askFilters } from "./answer";
import { BLANK } from "./logic";

describe("answerPieces", () => {
  it("makes each cited number a piece of its own", () => {
    expect(answerPieces("We quoted 9 500 € [1], then 9 200 € [2].", [1, 2])).toEqual([
      { text: "We quoted 9 500 € " },
      { cite: 1 },
      { text: ", then 9 200 € " },
      { cite: 2 },
      { text: "." },
    ]);
  });

  it("reads several numbers in one bracket, and brackets side by side", () => {
    expect(answerPieces("Two buyers [1, 3][2]", [1, 2, 3])).toEqual([{ text: "Two buyers " }, { cite: 1 }, { cite: 3 }, { cite: 2 }]);
  });

  it("leaves a number no citation has as the model wrote it", () => {
    expect(answerPieces("See [4] and [1]", [1])).toEqual([{ text: "See [4] and " }, { cite: 1 }]);
  });

  it("keeps an answer without citations whole", () => {
    expect(answerPieces("The messages found do not say.", [])).toEqual([{ text: "The messages found do not say." }]);
    expect(answerPieces("", [])).toEqual([]);
  });
});

describe("askFilters", () => {
  it("keeps the page's number and listing filters, and no mode", () => {
    const filters = askFilters({ ...BLANK, q: "what did we quote?", account: "1122", brand: "Rolex", since: "2026-11-01" });
    expect(filters.account).toBe("1122");
    expect(filters.brand).toBe("Rolex");
    expect(filters.since).toMatch(/^2026-1[01]-/);
    expect(filters.reference).toBeUndefined();
    expect("mode" in filters).toBe(false);
  });
});
