/** A preference kept in localStorage; storage that is unavailable (private mode, tests) is ignored. */
export function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeStored(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Not kept: the choice still holds for this page.
  }
}
