/**
 * Reads the `items` of a `kubectl get -o json` List as they stream in, one object at a time, so a
 * 10,000-pod list is never held whole — neither as text nor as a parsed tree. Structural characters are
 * ASCII, so scanning UTF-8 bytes is safe.
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
  /** Bytes of the string being read at depth 1 (the List's keys), to know when `items` opens. */
  private topString: number[] | null = null;
  private lastTopString = "";
  private inItems = false;
  private item: Buffer[] | null = null;
  private sawItems = false;

  constructor(private readonly onItem: (item: unknown) => void) {}

  /** Feeds the next chunk of kubectl's stdout. */
  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let itemStart = this.item ? 0 : -1;
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
          this.item = [];
          itemStart = i;
        }
        if (this.depth === 1 && b === OPEN_ARRAY) {
          this.inItems = this.lastTopString === "items";
          this.sawItems ||= this.inItems;
        }
        this.depth++;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth < 0) throw new SyntaxError("unbalanced JSON");
        if (this.item && this.depth === 2 && b === CLOSE_OBJECT) {
          this.item.push(bytes.subarray(itemStart, i + 1));
          const text = Buffer.concat(this.item).toString("utf8");
          this.item = null;
          itemStart = -1;
          this.onItem(JSON.parse(text));
        }
        if (this.depth === 1) this.inItems = false;
      }
    }
    if (this.item && itemStart >= 0) this.item.push(bytes.subarray(itemStart));
  }

  /** Call at the end: throws when the text was not a complete List with an `items` array. */
  end(): void {
    if (!this.sawItems || this.depth !== 0 || this.inString || this.item) {
      throw new SyntaxError("not a complete JSON List");
    }
  }
}
