/** A boolean flag's `=value` as kubectl's pflag reads it (Go's strconv.ParseBool). Pure. */

const truths = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const falsehoods = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** True or false as pflag reads `value`; undefined when it is neither. */
export function flagBoolean(value: string): boolean | undefined {
  return truths.has(value) ? true : falsehoods.has(value) ? false : undefined;
}
