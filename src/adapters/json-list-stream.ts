/**
 * Reads the `items` of a JSON List (kubectl's `get -o json`, or an API server's list page) as they stream
 * in, one object at a time, so a list of 150,000 pods is never held whole — neither as text nor as a
 * parsed tree. The List's own `metadata` (small: resourceVersion, the continue token) is handed over as
 * soon as it is complete, which for an API server's page is before the first item. Structural characters
 * are ASCII, so scanning UTF-8 bytes is safe.
 */

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonListStream {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the string being read at depth 1 (the List's keys), to know which member opens. */
  private topString: number[] | null = null;
  private lastTopString = "";
  private inItems = false;
  /** The chunks of the value being cut out: an item, or the List's metadata. */
  private value: Buffer[] | null = null;
  private valueIsMetadata = false;
  private sawItems = false;

  constructor(
    private readonly onItem: (item: unknown) => void,
    private readonly onMetadata?: (metadata: unknown) => void,
  ) {}

  /** Feeds the next chunk of kubectl's stdout. */
  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let valueStart = this.value ? 0 : -1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.topString) {
            this.lastTopString = Buffer.from(this.topString).toString("utf8");
            this.topString = null;
          }
          continue;
        }
        this.topString?.push(b);
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.topString = [];
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (this.inItems && this.depth === 2 && b === OPEN_OBJECT) {
          this.value = [];
          this.valueIsMetadata = false;
          valueStart = i;
        }
        if (this.depth === 1 && b === OPEN_OBJECT && this.lastTopString === "metadata" && this.onMetadata) {
          this.value = [];
          this.valueIsMetadata = true;
          valueStart = i;
        }
        if (this.depth === 1 && b === OPEN_ARRAY) {
          this.inItems = this.lastTopString === "items";
          this.sawItems ||= this.inItems;
        }
        this.depth++;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth < 0) throw new SyntaxError("unbalanced JSON");
        const closesValue = this.valueIsMetadata ? this.depth === 1 : this.depth === 2;
        if (this.value && closesValue && b === CLOSE_OBJECT) {
          this.value.push(bytes.subarray(valueStart, i + 1));
          const text = Buffer.concat(this.value).toString("utf8");
          this.value = null;
          valueStart = -1;
          if (this.valueIsMetadata) this.onMetadata?.(JSON.parse(text));
          else this.onItem(JSON.parse(text));
        }
        if (this.depth === 1) this.inItems = false;
      }
    }
    if (this.value && valueStart >= 0) this.value.push(bytes.subarray(valueStart));
  }

  /** Call at the end: throws when the text was not a complete List with an `items` array. */
  end(): void {
    if (!this.sawItems || this.depth !== 0 || this.inString || this.value) {
      throw new SyntaxError("not a complete JSON List");
    }
  }
}
