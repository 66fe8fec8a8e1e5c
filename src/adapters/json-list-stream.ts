/**
 * Reads the `items` of a JSON List (kubectl's `get -o json`, or an API server's list page) as they stream
 * in, one object at a time, so a list of 150,000 pods is never held whole — neither as text nor as a
 * parsed tree. The List's own `metadata` (small: resourceVersion, the continue token) is handed over as
 * soon as it is complete, which for an API server's page is before the first item.
 *
 * Parsing is most of a large list's cost, and a pod's bytes are mostly what no decision reads (env,
 * probes, volumes, managedFields, conditions…). So an item is cut to a `Shape` before anything parses it:
 * each member the shape does not keep is removed, key and value, without being parsed, wherever the chunks
 * happen to split it. Structural characters are ASCII, so scanning UTF-8 bytes is safe. What is left is
 * handed over as text, for the reader to parse (or to recognise as a text it has read before).
 */

/**
 * Which members of an object to keep: `true` keeps the value whole, a nested Shape keeps some of its
 * members (of each of its elements, for an array), `{ apart: n }` hands the value over on its own.
 * `others` says what happens to the members not named.
 */
export interface Shape {
  readonly keep: { readonly [key: string]: true | Shape | Apart };
  readonly others: "keep" | "drop";
}

/**
 * A member taken out of the item's text and handed over as the JSON text of its value, in slot `apart`:
 * what differs from item to item (a pod's name, UID, node) can then be left out of a text that repeats.
 * Only for members outside arrays: an item has one value per slot.
 */
interface Apart {
  readonly apart: number;
}

/** What the item's apart members held (undefined: absent), by slot; valid only during the call. */
export type ApartValues = readonly (string | undefined)[];

/** Makes something of an item, given its kept text (the Shape's, apart members left out). */
export type ItemReader<T> = (text: string, apart: ApartValues) => T;

/** An object's text that begins as the API server writes one: its metadata's name, then its namespace. */
const leadingName =
  /^\{\s*"metadata"\s*:\s*\{\s*"name"\s*:\s*"([^"\\]*)"\s*,\s*"namespace"\s*:\s*"([^"\\]*)"/;

/**
 * The `namespace/name` of an item, read from the start of its text without parsing it; null when it starts
 * otherwise (a generateName between them, an escaped character): only parsing it can tell then.
 */
export function leadingObjectName(text: string): string | null {
  const found = leadingName.exec(text);
  return found ? `${found[2]}/${found[1]}` : null;
}

/** The reader for items whose text is parsed whole and handed to `slim`. */
export function parsedBy<T>(slim: (item: never) => T): ItemReader<T> {
  return (text) => slim(JSON.parse(text) as never);
}

/**
 * A value already parsed, cut to a Shape as the stream cuts an item's text (an apart member stays in
 * place): for objects that come one at a time, as a watch's do.
 */
export function cutParsed(value: unknown, shape: Shape): unknown {
  if (Array.isArray(value)) return value.map((element) => cutParsed(element, shape));
  if (value === null || typeof value !== "object") return value;
  const kept: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const rule = shape.keep[key];
    if (rule === undefined) {
      if (shape.others === "keep") kept[key] = member;
    } else {
      kept[key] = rule === true || "apart" in rule ? member : cutParsed(member, rule as Shape);
    }
  }
  return kept;
}

/** Every member, but server-side apply's bookkeeping: a quarter of a pod's bytes, never read here. */
const withoutManagedFields: Shape = {
  keep: { metadata: { keep: { managedFields: { keep: {}, others: "drop" } }, others: "keep" } },
  others: "keep",
};

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

/** A Shape ready for lookups; KEEP_ALL means the value is kept whole without looking inside. */
interface Compiled {
  /** The keys named, as bytes: a key is compared where it lies, without making a string of it. */
  keys: Buffer[];
  members: Member[];
  others: typeof KEEP_ALL | typeof DROP;
}
const KEEP_ALL = 1;
const DROP = 2;
type Member = Compiled | typeof KEEP_ALL | typeof DROP | Apart;

function compile(shape: Shape): Compiled {
  const entries = Object.entries(shape.keep);
  return {
    keys: entries.map(([key]) => Buffer.from(key)),
    members: entries.map(([, value]) =>
      value === true ? KEEP_ALL : "apart" in value ? value : isDropAll(value) ? DROP : compile(value),
    ),
    others: shape.others === "keep" ? KEEP_ALL : DROP,
  };
}

function isDropAll(shape: Shape): boolean {
  return shape.others === "drop" && Object.keys(shape.keep).length === 0;
}

/** The largest apart slot in the shape, -1 when none. */
function lastSlot(shape: Compiled): number {
  let last = -1;
  for (const member of shape.members) {
    if (typeof member !== "object") continue;
    last = Math.max(last, "apart" in member ? member.apart : lastSlot(member));
  }
  return last;
}

/** A member whose value does not stay in the item's text. */
function removed(member: Member): boolean {
  return member === DROP || (typeof member === "object" && "apart" in member);
}

/** What the member whose key lies at bytes[start, end) becomes. */
function memberOf(shape: Compiled, bytes: Buffer, start: number, end: number): Member {
  const length = end - start;
  for (let k = 0; k < shape.keys.length; k++) {
    const key = shape.keys[k]!;
    if (key.length !== length) continue;
    let same = true;
    for (let j = 0; j < length && same; j++) same = key[j] === bytes[start + j];
    if (same) return shape.members[k]!;
  }
  return shape.others;
}

const KEEP_VALUE = 1;
const REMOVE_MEMBER = 2;
type Skip = typeof KEEP_VALUE | typeof REMOVE_MEMBER;

/** Depths: the List is 1, its `items` array 2, an item 3. */
const LIST_DEPTH = 1;
const ITEM_DEPTH = 3;

/**
 * Whose a chunk's bytes are: the caller's (copied before they are cut), handed over (cut and kept where
 * they lie), or lent (cut where they lie, valid only during the call: a reader that reads into one buffer
 * over and over).
 */
export type ChunkUse = "copy" | "handed-over" | "lent";

export class JsonListStream {
  private readonly itemShape: Compiled;
  private depth = 0;
  /** Per open container: whether it is an object, and the shape of its members (KEEP_ALL: not looked at). */
  private readonly isObject: boolean[] = [];
  private readonly shapes: Member[] = [];
  private inString = false;
  /** The last byte of the previous chunk was a backslash inside a string. */
  private escaped = false;
  /** A key is expected next in the current object (after `{` or `,`). */
  private expectKey = false;
  /** The key being read spans chunks: its bytes so far. */
  private keyHead: Buffer | null = null;
  private readingKey = false;
  /** What the member whose key was just read is to become. */
  private member: Member = KEEP_ALL;
  /** The List's key just read, to know which member opens. */
  private listKey = "";
  private inItems = false;
  private sawItems = false;
  /** The value being cut out (an item, or the List's metadata): its kept chunks so far. */
  private parts: Buffer[] | null = null;
  private partsLength = 0;
  private partsAreMetadata = false;
  /**
   * What is being passed over without looking inside (`skip`), and the depth it began at (-1: nothing):
   * a value kept whole ends where its depth closes; a member removed, at the comma or brace after it.
   */
  private skipDepth = -1;
  private skip: Skip = KEEP_VALUE;
  /** Where the member being read begins in the kept text (at its comma, or after its `{`); -1: unknown. */
  private memberOffset = -1;
  /** The member being read is its object's first (after `{`, or after members removed up to here). */
  private memberFirst = false;
  /** The current item's apart values, by slot. */
  private readonly apart: (string | undefined)[];
  /** The apart member being passed over: its slot (-1: none), and its text in earlier chunks. */
  private apartSlot = -1;
  private apartParts: Buffer[] = [];

  constructor(
    private readonly onItem: (text: string, apart: ApartValues) => void,
    private readonly onMetadata?: (metadata: unknown) => void,
    shape: Shape = withoutManagedFields,
  ) {
    this.itemShape = compile(shape);
    this.apart = new Array<string | undefined>(lastSlot(this.itemShape) + 1).fill(undefined);
  }

  /**
   * Feeds the next chunk of kubectl's stdout. The kept text of the value being cut out is moved down
   * within the chunk, over what is removed (`out` is where it goes next), so a value that lies in one
   * chunk is decoded in one piece. A chunk handed over or lent is cut where it lies; a lent one's text
   * still to be read past the call is copied then, and the caller's stays as it was.
   */
  write(chunk: Buffer | string, use: ChunkUse = "copy"): void {
    const bytes = use !== "copy" && typeof chunk !== "string" ? chunk : Buffer.from(chunk);
    const kept = use === "lent" ? (part: Buffer) => Buffer.from(part) : (part: Buffer) => part;
    const n = bytes.length;
    let depth = this.depth;
    let skipDepth = this.skipDepth;
    let skip = this.skip;
    let memberFirst = this.memberFirst;
    let memberOffset = this.memberOffset;
    let expectKey = this.expectKey;
    let member = this.member;
    /** Where the kept text of the value being cut out resumes in this chunk; -1: nothing to keep now. */
    let keptFrom = this.parts && !(skipDepth >= 0 && skip === REMOVE_MEMBER) ? 0 : -1;
    /** This chunk's kept text so far is bytes[outStart, out). */
    let outStart = 0;
    let out = 0;
    /** Where the member being removed began in this chunk; -1 when it began in an earlier one. */
    let removedFrom = -1;
    /** Where the apart member's text resumes in this chunk (-1: none is being passed over). */
    let apartFrom = this.apartSlot >= 0 ? 0 : -1;
    const keep = (to: number) => {
      if (keptFrom !== out) {
        // Most kept runs are a few bytes: a loop costs less than a call into the runtime.
        if (to - keptFrom > 64) bytes.copyWithin(out, keptFrom, to);
        else for (let from = keptFrom, at = out; from < to; ) bytes[at++] = bytes[from++]!;
      }
      out += to - keptFrom;
      keptFrom = -1;
    };
    /** The member whose key ends at `at` is cut out: the kept text goes back to where it began. */
    const removeMember = (at: number) => {
      const offset = memberOffset;
      if (offset < 0 || keptFrom < 0)
        throw new Error("JsonListStream: a member to remove began where nothing was kept");
      keep(at);
      if (offset >= this.partsLength) out = outStart + offset - this.partsLength;
      else {
        this.cutPartsTo(offset);
        out = outStart;
      }
      removedFrom = at;
    };
    /** The member whose key spans [at, keyEnd] is removed; an apart one's value follows the key. */
    const removeFrom = (at: number, removedMember: Member, keyEnd: number) => {
      removeMember(at);
      if (removedMember !== DROP) {
        this.apartSlot = (removedMember as Apart).apart;
        apartFrom = keyEnd + 1;
      }
    };
    /** Where the text kept so far would reach if bytes[keptFrom, at) were kept too; -1 when not keeping. */
    const keptOffset = (at: number) =>
      keptFrom < 0 ? -1 : this.partsLength + out - outStart + at - keptFrom;
    let i = 0;
    if (this.inString) {
      const end = stringEnd(bytes, this.escaped ? 1 : 0, n);
      if (end >= n) {
        this.escaped = end > n;
        if (this.readingKey) this.keyHead = Buffer.concat([this.keyHead!, bytes]);
        if (keptFrom >= 0) this.addPart(kept(bytes));
        if (apartFrom >= 0) this.apartParts.push(kept(bytes));
        return;
      }
      this.inString = false;
      this.escaped = false;
      i = end + 1;
      if (this.readingKey) {
        const key = Buffer.concat([this.keyHead!, bytes.subarray(0, end)]);
        member = this.keyRead(key, 0, key.length, depth);
        if (removed(member)) {
          removeFrom(0, member, end);
          skipDepth = depth;
          skip = REMOVE_MEMBER;
        }
      }
    }
    while (i < n) {
      if (skipDepth >= 0) {
        const at = passOver(bytes, i, n, depth, skipDepth, skip === KEEP_VALUE);
        depth = passedDepth;
        if (at < 0) {
          this.stringSpans(at === ENDED_AFTER_BACKSLASH, false, bytes);
          break;
        }
        if (at >= n) break;
        skipDepth = -1;
        if (skip === KEEP_VALUE) {
          i = at + 1;
          continue;
        }
        // A member removed ends at the comma or brace that follows it in its object.
        if (apartFrom >= 0) {
          this.apartEnds(bytes.subarray(apartFrom, at));
          apartFrom = -1;
        }
        // The first member goes with the comma after it; any other with the comma before it.
        const resume = memberFirst && bytes[at] === COMMA ? at + 1 : at;
        if (removedFrom < 0) outStart = out = resume;
        keptFrom = resume;
        member = KEEP_ALL;
        if (resume > at) {
          expectKey = true;
          memberOffset = keptOffset(resume);
        }
        i = resume;
        continue;
      }
      const b = bytes[i]!;
      if (b === QUOTE) {
        const readKey = expectKey && (depth === LIST_DEPTH || typeof this.shapes[depth] === "object");
        const end = stringEnd(bytes, i + 1, n);
        if (end >= n) {
          this.stringSpans(end > n, readKey, bytes.subarray(i + 1, n));
          break;
        }
        if (readKey) {
          member = this.keyRead(bytes, i + 1, end, depth);
          if (removed(member)) {
            removeFrom(i, member, end);
            skipDepth = depth;
            skip = REMOVE_MEMBER;
            i = end + 1;
            continue;
          }
        }
        i = end;
      } else if (b === COLON) {
        expectKey = false;
      } else if (b === COMMA) {
        expectKey = this.isObject[depth] === true;
        member = KEEP_ALL;
        memberOffset = keptOffset(i);
        memberFirst = false;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        const object = b === OPEN_OBJECT;
        const child: Member = this.isObject[depth] ? member : (this.shapes[depth] ?? KEEP_ALL);
        if (child === KEEP_ALL && depth >= ITEM_DEPTH && this.parts && !this.partsAreMetadata) {
          skipDepth = depth;
          skip = KEEP_VALUE;
          depth++;
          i++;
          continue;
        }
        let shape: Member = child;
        if (depth === LIST_DEPTH) {
          if (object && this.listKey === "metadata" && this.onMetadata) {
            this.parts = [];
            this.partsLength = 0;
            this.partsAreMetadata = true;
            outStart = out = keptFrom = i;
          } else if (!object && this.listKey === "items") {
            this.inItems = true;
            this.sawItems = true;
          }
        }
        if (depth === ITEM_DEPTH - 1 && this.inItems && object) {
          this.parts = [];
          this.partsLength = 0;
          this.partsAreMetadata = false;
          outStart = out = keptFrom = i;
          shape = this.itemShape;
        } else if (!this.parts || this.partsAreMetadata) {
          shape = KEEP_ALL;
        }
        depth++;
        this.isObject[depth] = object;
        this.shapes[depth] = shape;
        expectKey = object;
        member = KEEP_ALL;
        memberOffset = keptOffset(i + 1);
        memberFirst = true;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        depth--;
        if (depth < 0) throw new SyntaxError("unbalanced JSON");
        expectKey = false;
        const closes = this.partsAreMetadata ? depth === LIST_DEPTH : depth === ITEM_DEPTH - 1;
        if (this.parts && closes && b === CLOSE_OBJECT) {
          keep(i + 1);
          const parts = this.parts;
          const text =
            parts.length === 0
              ? bytes.toString("utf8", outStart, out)
              : Buffer.concat([...parts, bytes.subarray(outStart, out)]).toString("utf8");
          this.parts = null;
          if (this.partsAreMetadata) this.onMetadata?.(JSON.parse(text));
          else {
            this.onItem(text, this.apart);
            this.apart.fill(undefined);
          }
        }
        if (depth === LIST_DEPTH) this.inItems = false;
      }
      i++;
    }
    if (this.parts) {
      if (keptFrom >= 0) keep(n);
      if (out > outStart) this.addPart(kept(bytes.subarray(outStart, out)));
    }
    // The bytes past `out` are not written again: the apart text can stay where it lies.
    if (apartFrom >= 0) this.apartParts.push(kept(bytes.subarray(apartFrom, n)));
    this.depth = depth;
    this.skipDepth = skipDepth;
    this.skip = skip;
    this.memberFirst = memberFirst;
    this.memberOffset = memberOffset;
    this.expectKey = expectKey;
    this.member = member;
  }

  private addPart(part: Buffer): void {
    this.parts!.push(part);
    this.partsLength += part.length;
  }

  /** The apart member's value ends with `last` (its text after the key: colon, value, blanks). */
  private apartEnds(last: Buffer): void {
    const parts = this.apartParts;
    const bytes = parts.length === 0 ? last : Buffer.concat([...parts, last]);
    // Decoded from the value's first byte to its last: a string of its own, not a slice of a longer one.
    let start = bytes.indexOf(COLON) + 1;
    let end = bytes.length;
    while (start < end && isBlank(bytes[start]!)) start++;
    while (end > start && isBlank(bytes[end - 1]!)) end--;
    this.apart[this.apartSlot] = bytes.toString("utf8", start, end);
    this.apartSlot = -1;
    this.apartParts = [];
  }

  /** Drops the kept text of earlier chunks past `length`. */
  private cutPartsTo(length: number): void {
    const parts = this.parts!;
    while (this.partsLength > length) {
      const last = parts.pop()!;
      this.partsLength -= last.length;
      if (this.partsLength < length) {
        parts.push(last.subarray(0, length - this.partsLength));
        this.partsLength = length;
      }
    }
  }

  /** The chunk ended inside a string: what to carry over to the next one. */
  private stringSpans(escaped: boolean, readingKey: boolean, head: Buffer): void {
    this.inString = true;
    this.escaped = escaped;
    this.readingKey = readingKey;
    if (readingKey) this.keyHead = Buffer.from(head);
  }

  /** The key at bytes[start, end) was read at `depth`: what its value is to become. */
  private keyRead(bytes: Buffer, start: number, end: number, depth: number): Member {
    this.readingKey = false;
    this.keyHead = null;
    if (depth !== LIST_DEPTH) return memberOf(this.shapes[depth] as Compiled, bytes, start, end);
    this.listKey = bytes.toString("latin1", start, end);
    return KEEP_ALL;
  }

  /** Call at the end: throws when the text was not a complete List with an `items` array. */
  end(): void {
    if (!this.sawItems || this.depth !== 0 || this.inString || this.parts || this.skipDepth >= 0) {
      throw new SyntaxError("not a complete JSON List");
    }
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isBlank(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * The index of the quote that ends the string whose contents start at `from`; `n` when the chunk ends
 * first, `n + 1` when it ends right after a backslash (the next chunk's first byte is escaped).
 */
function stringEnd(bytes: Buffer, from: number, n: number): number {
  let j = from;
  while (j < n) {
    const c = bytes[j]!;
    if (c === QUOTE) return j;
    j += c === BACKSLASH ? 2 : 1;
  }
  return j;
}

/** passOver's results besides its index: the depth where it stopped. */
let passedDepth = 0;
const ENDED_IN_STRING = -1;
const ENDED_AFTER_BACKSLASH = -2;

/**
 * Passes over bytes[from, n) without looking inside, from `depth` (strings skipped, brackets counted),
 * to the byte that ends what is passed over: a value kept whole (`keepValue`) at the bracket that closes
 * back to `skipDepth`; a member removed at the comma or brace after it, at `skipDepth`. Returns that
 * byte's index; `n` when the chunk ended first, ENDED_IN_STRING or ENDED_AFTER_BACKSLASH when it ended
 * inside a string. Most of a page's bytes go through this loop alone, which is why it is small: V8
 * optimizes it within the first page.
 */
function passOver(
  bytes: Buffer,
  from: number,
  n: number,
  depth: number,
  skipDepth: number,
  keepValue: boolean,
): number {
  let i = from;
  for (; i < n; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) {
      const end = stringEnd(bytes, i + 1, n);
      if (end >= n) {
        passedDepth = depth;
        return end > n ? ENDED_AFTER_BACKSLASH : ENDED_IN_STRING;
      }
      i = end;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      depth++;
    } else if (depth > skipDepth) {
      if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === skipDepth && keepValue) break;
    } else if (b === COMMA || b === CLOSE_OBJECT) {
      break;
    }
  }
  passedDepth = depth;
  return i;
}
