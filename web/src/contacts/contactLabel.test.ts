import { describe, expect, it } from "vitest";
import { contactLabel } from "./ContactsScreen";

describe("a contact's label", () => {
  const base = { contact_id: "c1", name: null, wa_id: null, username: null };
  it("is their name first", () => {
    expect(contactLabel({ ...base, name: "Ann Lee", wa_id: "447700900123" })).toBe("Ann Lee");
  });
  it("is their number without a name", () => {
    expect(contactLabel({ ...base, wa_id: "447700900123", username: "ann" })).toBe("+447700900123");
  });
  it("is their username, else the stored id", () => {
    expect(contactLabel({ ...base, username: "ann" })).toBe("ann");
    expect(contactLabel(base)).toBe("c1");
  });
});
