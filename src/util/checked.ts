/**
 * A value that passed a check, or the sentence saying why it did not. Pure checks return it; the CLI
 * edge throws.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };
