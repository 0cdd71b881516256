import type { CSSProperties } from "react";

/** Up to two initials of a name, or the last two digits of a number. */
export function initials(name: string | null | undefined, fallback: string): string {
  const words = (name ?? "").trim().split(/\s+/).filter((w) => /\p{L}/u.test(w));
  if (words.length === 0) return fallback.replace(/\D/g, "").slice(-2) || "?";
  const first = [...(words[0] ?? "")][0] ?? "";
  const last = words.length > 1 ? ([...(words[words.length - 1] ?? "")][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** A stable colour per person, from their id. */
function hue(seed: string): number {
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

export function Avatar({ name, seed }: { name: string | null | undefined; seed: string }) {
  return (
    <span className="avatar" aria-hidden="true" style={{ "--avatar-hue": hue(seed) } as CSSProperties}>
      {initials(name, seed)}
    </span>
  );
}
