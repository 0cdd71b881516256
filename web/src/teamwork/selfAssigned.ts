/**
 * Conversations the signed-in user just took themselves ("Assign to me", or picking their own name): the
 * live `conversation.assigned` that follows is theirs, not news to tell them.
 */
const taken = new Map<string, number>();

/** How long a self-assignment waits for its live change. */
const WINDOW_MS = 30_000;

export function markTakenMyself(conversation: string, now = Date.now()) {
  taken.set(conversation, now);
}

/** Whether the user assigned `conversation` to themselves a moment ago (forgotten once asked). */
export function tookItMyself(conversation: string, now = Date.now()): boolean {
  const at = taken.get(conversation);
  taken.delete(conversation);
  return at !== undefined && now - at < WINDOW_MS;
}
