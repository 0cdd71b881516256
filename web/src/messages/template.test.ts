import { describe, expect, it } from "vitest";
import { placeholders, templateComponents, templateFields, templatePreview, templateTexts } from "./template";

const order = {
  id: "1",
  name: "order_update",
  language: "en_US",
  status: "APPROVED",
  components: [
    { type: "HEADER", format: "TEXT", text: "Order {{1}}" },
    { type: "BODY", text: "Hello {{1}}, your order ships on {{2}}." },
    { type: "FOOTER", text: "Reply STOP to opt out" },
    { type: "BUTTONS", buttons: [] },
  ],
};

const values = { header: { "1": "A-17" }, body: { "1": "Ann", "2": "Monday" } };

describe("a template to send", () => {
  it("reads its texts and asks for the header's and the body's placeholders apart, in Meta's order", () => {
    const texts = templateTexts(order)!;
    expect(texts).toEqual({ header: "Order {{1}}", body: "Hello {{1}}, your order ships on {{2}}.", footer: "Reply STOP to opt out" });
    expect(templateFields(texts)).toEqual([
      { part: "header", key: "1" },
      { part: "body", key: "1" },
      { part: "body", key: "2" },
    ]);
    expect(placeholders("{{10}} {{2}} {{1}} {{2}}")).toEqual(["1", "2", "10"]);
  });

  it("previews what the customer reads, leaving what is not filled in", () => {
    const texts = templateTexts(order)!;
    expect(templatePreview(texts, { header: values.header, body: { "1": "Ann" } })).toBe(
      "Order A-17\nHello Ann, your order ships on {{2}}.\nReply STOP to opt out",
    );
  });

  it("gives Meta each part's parameters", () => {
    expect(templateComponents(templateTexts(order)!, values)).toEqual([
      { type: "header", parameters: [{ type: "text", text: "A-17" }] },
      {
        type: "body",
        parameters: [
          { type: "text", text: "Ann" },
          { type: "text", text: "Monday" },
        ],
      },
    ]);
  });

  it("names named parameters", () => {
    const named = { id: "2", name: "welcome", components: [{ type: "BODY", text: "Hi {{first_name}}!" }] };
    expect(templateComponents(templateTexts(named)!, { header: {}, body: { first_name: "Ann" } })).toEqual([
      { type: "body", parameters: [{ type: "text", text: "Ann", parameter_name: "first_name" }] },
    ]);
  });

  it("has nothing to send without a body", () => {
    expect(templateTexts({ id: "3", name: "x", components: [] })).toBeNull();
  });
});
