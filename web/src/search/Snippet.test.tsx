import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { Snippet } from "./Hit";
import type { SearchHit } from "./logic";

function hit(snippet: string, highlights: { start: number; end: number }[]): SearchHit {
  return {
    conversation_id: "c1",
    message_id: "m1",
    account_id: "111",
    contact_id: "447700900501",
    direction: "inbound",
    kind: "text",
    written_at: "2026-11-30T10:00:00Z",
    snippet,
    highlights,
    brands: [],
    models: [],
    references: [],
    scores: { exact: true, score: 1 },
  };
}

describe("a snippet", () => {
  it("marks the words found after an emoji, and renders markup as text", () => {
    const { container } = render(<Snippet hit={hit("🙂 <img src=x onerror=alert(1)> 116610LN", [{ start: 31, end: 39 }])} />);
    expect([...container.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["116610LN"]);
    expect(container.querySelector("img")).toBeNull();
    expect(container.textContent).toBe("🙂 <img src=x onerror=alert(1)> 116610LN");
  });
});
