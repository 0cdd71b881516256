import { apiQuery, type SearchState } from "./logic";

/** The filters of the Search page an "Ask the history" question keeps (the mode and prices are the search's own). */
export function askFilters(state: SearchState) {
  const q = apiQuery(state);
  return {
    account: q.account,
    conversation: q.conversation,
    contact: q.contact,
    since: q.since,
    until: q.until,
    brand: q.brand,
    model: q.model,
    reference: q.reference,
  };
}

export type AnswerPiece = { text: string } | { cite: number };

/**
 * The answer's text cut where it cites a message (`[1]`, `[2, 3]`, `[1][3]`), so each citation becomes a
 * link to its message; a number no citation has stays text, as the model wrote it.
 */
export function answerPieces(answer: string, cited: readonly number[]): AnswerPiece[] {
  const known = new Set(cited);
  const pieces: AnswerPiece[] = [];
  let text = "";
  let last = 0;
  for (const match of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    const ns = match[1]!.split(",").map((n) => Number(n.trim()));
    if (!ns.every((n) => known.has(n))) continue;
    text += answer.slice(last, match.index);
    if (text !== "") pieces.push({ text });
    text = "";
    for (const n of ns) pieces.push({ cite: n });
    last = match.index + match[0].length;
  }
  text += answer.slice(last);
  if (text !== "") pieces.push({ text });
  return pieces;
}
