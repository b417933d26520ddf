// What this browser remembers for the editor (localStorage): the theme, the side panel's width,
// whether the issue list is open. In a private window or with storage full nothing is
// remembered, and that is never an error.

export function readPref(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writePref(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* not remembered */
  }
}
