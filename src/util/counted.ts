/** `1 pod`, `2 pods`: a count with its noun (regular English plurals only). */
export function counted(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}
