/**
 * Reads protobuf's wire format, field by field, over `bytes[pos, end)`: only what the API server's
 * messages use (varints, length-delimited values; fixed ones are passed over). A message's fields come as
 * a key (field number and wire type) and a value; a reader asks for the fields it knows and skips the rest.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtobufReader {
  constructor(
    readonly bytes: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  /** The next field's number and wire type. */
  key(): { field: number; wire: number } {
    const key = this.varint();
    return { field: key >>> 3, wire: key & 7 };
  }

  varint(): number {
    const value = this.tryVarint();
    if (value === null) throw new SyntaxError("a protobuf varint runs past its message");
    return value;
  }

  /** A varint, or null when the bytes end before it does (pos is then left where it was). */
  tryVarint(): number | null {
    const value = varintAt(this.bytes, this.pos, this.end);
    if (value < 0) return null;
    this.pos = varintRead.end;
    return value;
  }

  /** A length-delimited value's bounds; pos moves past it. */
  span(): { start: number; end: number } {
    const length = this.varint();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new SyntaxError("a protobuf field runs past its message");
    this.pos = end;
    return { start, end };
  }

  string(): string {
    const { start, end } = this.span();
    return this.bytes.toString("utf8", start, end);
  }

  /** A nested message, for a reader of its own; pos moves past it. */
  message(): ProtobufReader {
    const { start, end } = this.span();
    return new ProtobufReader(this.bytes, start, end);
  }

  skip(wire: number): void {
    if (!this.trySkip(wire) || this.pos > this.end) {
      throw new SyntaxError("a protobuf field runs past its message");
    }
  }

  /** Passes over a value of that wire type; false when the bytes end first. */
  trySkip(wire: number): boolean {
    const at = valueEnd(this.bytes, this.pos, this.end, wire);
    if (at < 0) return false;
    this.pos = at;
    // A length-delimited value past the end is for the caller to tell (the chunk, or the message, ended).
    return wire === LENGTH_DELIMITED || at <= this.end;
  }
}

/**
 * Where a value of that wire type, at bytes[pos…], ends (a length-delimited one: as its length says, which
 * may be past `end`); -1 when its varint runs past `end`.
 */
export function valueEnd(bytes: Buffer, pos: number, end: number, wire: number): number {
  switch (wire) {
    case VARINT:
      return varintAt(bytes, pos, end) < 0 ? -1 : varintRead.end;
    case FIXED64:
      return pos + 8;
    case FIXED32:
      return pos + 4;
    case LENGTH_DELIMITED: {
      const length = varintAt(bytes, pos, end);
      return length < 0 ? -1 : varintRead.end + length;
    }
    default:
      throw new SyntaxError(`protobuf wire type ${wire} is not one the API server writes`);
  }
}

/** Where the last varint varintAt read ended. */
export const varintRead = { end: 0 };

/**
 * The varint at bytes[pos…end): its value, and where it ends in `varintRead.end`; -1 when the bytes end
 * before it does.
 */
export function varintAt(bytes: Buffer, pos: number, end: number): number {
  let value = 0;
  // Multiplying, not shifting: a length or a count fits 53 bits, and a shift wraps past 31.
  for (let at = pos, scale = 1; at < end; scale *= 128) {
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      varintRead.end = at;
      return value;
    }
    // Ten bytes hold 64 bits: an eleventh is no varint.
    if (scale >= 2 ** 63) throw new SyntaxError("a protobuf varint longer than 10 bytes");
  }
  return -1;
}
