// Words every page uses.

/** "1 chunk", "3 chunks"; "2 queries" given its plural. */
export function plural(n: number, word: string, words: string = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
