/**
 * Reads the `items` of a JSON List (kubectl's `get -o json`, or an API server's list page) as they stream
 * in, one object at a time, so a list of 150,000 pods is never held whole — neither as text nor as a
 * parsed tree. The List's own `metadata` (small: resourceVersion, the continue token) is handed over as
 * soon as it is complete, which for an API server's page is before the first item. Each item's
 * `metadata.managedFields` (server-side apply's bookkeeping, a quarter of a pod's bytes, never read here)
 * is cut out before parsing and arrives as null. Structural characters are ASCII, so scanning UTF-8 bytes
 * is safe.
 */

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
/** An item's metadata members are at this depth (List, items array, item, metadata). */
const ITEM_METADATA_DEPTH = 4;
const SKIPPED_KEY = Buffer.from("managedFields");
const SKIPPED_VALUE = Buffer.from("null");

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
  /** How far the string being read in an item's metadata matches the skipped key; -1: it does not. */
  private keyMatch = -1;
  /** The last string closed in an item's metadata was the key whose value is cut out. */
  private atSkippedKey = false;
  /** A `:` followed that key: its value, when it opens, is cut out. */
  private skipNext = false;
  /** The depth at which the value being cut out opened; -1 when none is. */
  private skipDepth = -1;

  constructor(
    private readonly onItem: (item: unknown) => void,
    private readonly onMetadata?: (metadata: unknown) => void,
  ) {}

  /** Feeds the next chunk of kubectl's stdout. */
  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let valueStart = this.value && this.skipDepth < 0 ? 0 : -1;
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
          this.atSkippedKey = this.keyMatch === SKIPPED_KEY.length;
          this.keyMatch = -1;
          continue;
        }
        if (this.keyMatch >= 0) this.keyMatch = SKIPPED_KEY[this.keyMatch] === b ? this.keyMatch + 1 : -1;
        this.topString?.push(b);
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        this.skipNext = false;
        if (this.depth === 1) this.topString = [];
        this.keyMatch = this.depth === ITEM_METADATA_DEPTH && this.value && !this.valueIsMetadata ? 0 : -1;
      } else if (b === COLON) {
        this.skipNext = this.atSkippedKey && this.depth === ITEM_METADATA_DEPTH;
        this.atSkippedKey = false;
      } else if (b === COMMA) {
        this.skipNext = false;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (this.skipNext && this.value) {
          this.skipNext = false;
          this.value.push(bytes.subarray(valueStart, i), SKIPPED_VALUE);
          this.skipDepth = this.depth;
          valueStart = -1;
        }
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
        this.skipNext = false;
        if (this.depth === this.skipDepth) {
          this.skipDepth = -1;
          valueStart = i + 1;
          continue;
        }
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
    if (!this.sawItems || this.depth !== 0 || this.inString || this.value || this.skipDepth >= 0) {
      throw new SyntaxError("not a complete JSON List");
    }
  }
}
