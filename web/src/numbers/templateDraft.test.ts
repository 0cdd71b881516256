import { describe, expect, it } from "vitest";
import { draftPreview, draftProblems, EMPTY_DRAFT, newButton, newTemplate, type TemplateDraft } from "./templateDraft";

const good: TemplateDraft = {
  ...EMPTY_DRAFT,
  name: "order_update",
  body: "Hello {{1}}, your order {{2}} has shipped.",
  bodyExamples: { "1": "Ann", "2": "A-1042" },
};

function fields(draft: TemplateDraft) {
  return draftProblems(draft).map((p) => `${p.field}:${p.key}`);
}

describe("a template draft", () => {
  it("passes when it keeps to Meta's rules", () => {
    expect(draftProblems(good)).toEqual([]);
  });

  it("wants a name of lower-case letters, digits and underscores", () => {
    expect(fields({ ...good, name: "" })).toEqual(["name:numbers.problem.required"]);
    expect(fields({ ...good, name: "Order-Update" })).toEqual(["name:numbers.problem.name"]);
    expect(fields({ ...good, name: "a".repeat(513) })).toEqual(["name:numbers.problem.tooLong"]);
  });

  it("wants body variables numbered from 1 without gaps, each with an example", () => {
    expect(fields({ ...good, body: "Hi {{1}} and {{3}}." })).toEqual(["body:numbers.problem.variables"]);
    expect(fields({ ...good, body: "Hi {{name}}." })).toEqual(["body:numbers.problem.variables"]);
    expect(fields({ ...good, bodyExamples: { "1": "Ann", "2": " " } })).toEqual(["bodyExample.2:numbers.problem.example"]);
  });

  it("refuses a body that starts or ends with a variable", () => {
    expect(fields({ ...good, body: "{{1}} shipped", bodyExamples: { "1": "x" } })).toEqual(["body:numbers.problem.variableEdge"]);
    expect(fields({ ...good, body: "Shipped to {{1}}", bodyExamples: { "1": "x" } })).toEqual(["body:numbers.problem.variableEdge"]);
  });

  it("counts characters against Meta's lengths", () => {
    expect(fields({ ...good, body: "x".repeat(1025) })).toEqual(["body:numbers.problem.tooLong"]);
    expect(fields({ ...good, header: "h".repeat(61) })).toEqual(["header:numbers.problem.tooLong"]);
    expect(fields({ ...good, footer: "f".repeat(61) })).toEqual(["footer:numbers.problem.tooLong"]);
    // Emoji count as one character each, as Meta counts them.
    expect(fields({ ...good, footer: "🙂".repeat(60) })).toEqual([]);
  });

  it("allows one header variable, {{1}}, with its example, and none in the footer", () => {
    expect(fields({ ...good, header: "Order {{1}}" })).toEqual(["headerExample:numbers.problem.example"]);
    expect(fields({ ...good, header: "Order {{2}}" })).toEqual(["header:numbers.problem.headerVariable"]);
    expect(fields({ ...good, header: "{{1}} {{2}}" })).toEqual(["header:numbers.problem.headerVariable"]);
    expect(fields({ ...good, footer: "Ref {{1}}" })).toEqual(["footer:numbers.problem.footerVariable"]);
  });

  it("keeps buttons within Meta's limits", () => {
    const reply = (text: string) => ({ ...newButton("QUICK_REPLY"), text });
    const url = { ...newButton("URL"), text: "Track", url: "https://shop.example.com/track/{{1}}", urlExample: "https://shop.example.com/track/A1" };
    const phone = { ...newButton("PHONE_NUMBER"), text: "Call us", phone: "+1 555 000 1234" };
    expect(fields({ ...good, buttons: [reply("Yes"), url, phone] })).toEqual([]);
    expect(fields({ ...good, buttons: Array.from({ length: 11 }, (_, i) => reply(`R${i}`)) })).toEqual(["buttons:numbers.problem.buttons"]);
    expect(fields({ ...good, buttons: [url, { ...url, text: "T2" }, { ...url, text: "T3" }] })).toEqual(["buttons:numbers.problem.urlButtons"]);
    expect(fields({ ...good, buttons: [phone, { ...phone, text: "Other" }] })).toEqual(["buttons:numbers.problem.phoneButtons"]);
    expect(fields({ ...good, buttons: [reply("Same"), reply("Same")] })).toEqual(["button.1.text:numbers.problem.sameButton"]);
    expect(fields({ ...good, buttons: [reply("x".repeat(26))] })).toEqual(["button.0.text:numbers.problem.tooLong"]);
    expect(fields({ ...good, buttons: [{ ...url, url: "shop.example.com" }] })).toEqual(["button.0.url:numbers.problem.url"]);
    expect(fields({ ...good, buttons: [{ ...url, url: "https://x.example/{{1}}/a" }] })).toEqual(["button.0.url:numbers.problem.urlVariable"]);
    expect(fields({ ...good, buttons: [{ ...url, urlExample: "" }] })).toEqual(["button.0.urlExample:numbers.problem.urlExample"]);
    expect(fields({ ...good, buttons: [{ ...phone, phone: "555" }] })).toEqual(["button.0.phone:numbers.problem.phone"]);
  });
});

describe("the template sent for review", () => {
  it("has the body with its examples in variable order", () => {
    expect(newTemplate({ ...good, body: "Order {{2}} for {{1}} shipped." })).toEqual({
      name: "order_update",
      language: "en_US",
      category: "UTILITY",
      components: [{ type: "BODY", text: "Order {{2}} for {{1}} shipped.", example: { body_text: [["Ann", "A-1042"]] } }],
    });
  });

  it("adds the header, footer and buttons, quick replies first as Meta requires", () => {
    const template = newTemplate({
      ...good,
      category: "MARKETING",
      language: "fr",
      header: "Order {{1}}",
      headerExample: "A-1042",
      footer: "Reply STOP to opt out",
      buttons: [
        { ...newButton("URL"), text: "Track", url: "https://shop.example.com/t/{{1}}", urlExample: "https://shop.example.com/t/A1" },
        { ...newButton("QUICK_REPLY"), text: "Thanks" },
        { ...newButton("PHONE_NUMBER"), text: "Call", phone: "+1 555-000-1234" },
      ],
    });
    expect(template.category).toBe("MARKETING");
    expect(template.language).toBe("fr");
    expect(template.components).toEqual([
      { type: "HEADER", format: "TEXT", text: "Order {{1}}", example: { header_text: ["A-1042"] } },
      { type: "BODY", text: good.body, example: { body_text: [["Ann", "A-1042"]] } },
      { type: "FOOTER", text: "Reply STOP to opt out" },
      {
        type: "BUTTONS",
        buttons: [
          { type: "QUICK_REPLY", text: "Thanks" },
          { type: "URL", text: "Track", url: "https://shop.example.com/t/{{1}}", example: ["https://shop.example.com/t/A1"] },
          { type: "PHONE_NUMBER", text: "Call", phone_number: "+15550001234" },
        ],
      },
    ]);
  });

  it("leaves out examples when there is no variable", () => {
    expect(newTemplate({ ...good, body: "Thanks for your order." }).components).toEqual([{ type: "BODY", text: "Thanks for your order." }]);
  });
});

describe("the preview", () => {
  it("puts the examples in place, and keeps a variable without one as written", () => {
    expect(draftPreview({ ...good, bodyExamples: { "1": "Ann" }, footer: "Shop" })).toEqual({
      header: null,
      body: "Hello Ann, your order {{2}} has shipped.",
      footer: "Shop",
      buttons: [],
    });
  });
});
