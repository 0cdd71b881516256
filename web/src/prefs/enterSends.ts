import { useSyncExternalStore } from "react";
import { readStored, writeStored } from "./stored";

/**
 * Whether Enter sends the message (Shift+Enter starts a new line), or starts a new line (Ctrl+Enter or
 * Cmd+Enter sends): people who write long messages choose the second. Kept in localStorage; every
 * composer follows a change at once.
 */
const KEY = "inbox.enterSends";
const CHANGED = "inbox:enter-sends";

function read(): boolean {
  return readStored(KEY) !== "false";
}

function subscribe(listener: () => void) {
  window.addEventListener(CHANGED, listener);
  window.addEventListener("storage", listener);
  return () => {
    window.removeEventListener(CHANGED, listener);
    window.removeEventListener("storage", listener);
  };
}

export function setEnterSends(value: boolean) {
  writeStored(KEY, String(value));
  window.dispatchEvent(new Event(CHANGED));
}

export function useEnterSends(): boolean {
  return useSyncExternalStore(subscribe, read);
}

/** Whether this key press sends, given the preference. IME composition never sends. */
export function sendsOnKey(
  event: { key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; isComposing: boolean },
  enterSends: boolean,
): boolean {
  if (event.key !== "Enter" || event.isComposing) return false;
  if (event.ctrlKey || event.metaKey) return true;
  return enterSends && !event.shiftKey;
}
