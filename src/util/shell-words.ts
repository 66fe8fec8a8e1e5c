/** Words as a POSIX shell reads them back: a word with anything but safe characters is single-quoted. */
export function shellWords(words: readonly string[]): string {
  return words.map(shellWord).join(" ");
}

const safe = /^[A-Za-z0-9_@%+=:,./-]+$/;

function shellWord(word: string): string {
  if (safe.test(word)) return word;
  // Inside single quotes only the quote itself needs care: close, escape it, reopen.
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
