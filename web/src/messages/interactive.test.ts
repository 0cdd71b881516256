import { describe, expect, it } from "vitest";
import { buttonsContent, buttonsProblems, length, listContent, listProblems, type ButtonsDraft, type ListDraft } from "./interactive";
import { limits } from "../test/limits";

const l = limits.interactive;
const buttons = (over: Partial<ButtonsDraft>): ButtonsDraft => ({ header: "", body: "Which size?", footer: "", buttons: ["S", "M"], ...over });
const list = (over: Partial<ListDraft>): ListDraft => ({
  header: "",
  body: "Our watches",
  footer: "",
  button: "See them",
  sections: [{ title: "", rows: [{ title: "Speedmaster", description: "" }] }],
  ...over,
});

describe("reply buttons", () => {
  it("can be sent within Meta's limits, and become the message the API takes", () => {
    const draft = buttons({ header: " Sizes ", buttons: ["S", "x".repeat(l.button_title), "L"] });
    expect(buttonsProblems(draft, l)).toEqual([]);
    expect(buttonsContent(draft)).toEqual({
      kind: "buttons",
      header: "Sizes",
      body: "Which size?",
      footer: undefined,
      buttons: [
        { id: "1:S", title: "S" },
        { id: `2:${"x".repeat(l.button_title)}`, title: "x".repeat(l.button_title) },
        { id: "3:L", title: "L" },
      ],
    });
  });

  it("say what Meta would refuse, field by field", () => {
    expect(buttonsProblems(buttons({ body: " ", buttons: [] }), l)).toEqual([
      { field: "body", rule: "required" },
      { field: "buttons", rule: "count", min: 1, max: 3 },
    ]);
    expect(buttonsProblems(buttons({ buttons: ["a", "b", "c", "d"] }), l)).toContainEqual({ field: "buttons", rule: "count", min: 1, max: 3 });
    expect(buttonsProblems(buttons({ buttons: ["Yes", " yes", ""] }), l)).toEqual([
      { field: "buttons.1", rule: "repeated" },
      { field: "buttons.2", rule: "required" },
    ]);
    expect(buttonsProblems(buttons({ buttons: ["x".repeat(l.button_title + 1)], footer: "f".repeat(61) }), l)).toEqual([
      { field: "footer", rule: "tooLong", max: 60 },
      { field: "buttons.0", rule: "tooLong", max: 20 },
    ]);
  });

  it("count characters as Meta does, an emoji as one", () => {
    expect(length("⌚".repeat(20))).toBe(20);
    expect(length("😀")).toBe(1);
    expect(buttonsProblems(buttons({ buttons: ["😀".repeat(l.button_title)] }), l)).toEqual([]);
  });
});

describe("a list", () => {
  it("can be sent within Meta's limits, and becomes the message the API takes", () => {
    const draft = list({
      sections: [
        { title: "Omega", rows: [{ title: "Speedmaster", description: "Moonwatch, 42 mm" }] },
        { title: "Rolex", rows: [{ title: "Speedmaster", description: " " }] },
      ],
    });
    expect(listProblems(draft, l)).toContainEqual({ field: "sections.1.rows.0.title", rule: "repeated" });
    draft.sections[1]!.rows[0]!.title = "Submariner";
    expect(listProblems(draft, l)).toEqual([]);
    expect(listContent(draft).sections).toEqual([
      { title: "Omega", rows: [{ id: "1.1:Speedmaster", title: "Speedmaster", description: "Moonwatch, 42 mm" }] },
      { title: "Rolex", rows: [{ id: "2.1:Submariner", title: "Submariner", description: undefined }] },
    ]);
  });

  it("needs section titles only when there are several, and at most ten rows in all", () => {
    expect(listProblems(list({}), l)).toEqual([]);
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `Row ${i}`, description: "" }));
    expect(
      listProblems(list({ sections: [{ title: "", rows: rows(6) }, { title: "B", rows: rows(5).map((r) => ({ ...r, title: r.title + "b" })) }] }), l),
    ).toEqual([
      { field: "rows", rule: "count", min: 1, max: 10 },
      { field: "sections.0.title", rule: "required" },
    ]);
    expect(listProblems(list({ button: "", sections: [{ title: "", rows: [] }] }), l)).toEqual([
      { field: "button", rule: "required" },
      { field: "rows", rule: "count", min: 1, max: 10 },
    ]);
  });
});
