/**
 * A JSON parser fed in chunks that builds only the parts of the document the caller keeps.
 *
 * Why: OPNsense answers `quagga/bgp/get` with every field of every neighbor, each option field as
 * a map of all its choices (≈ 2.2 KB of JSON per neighbor, 11 MB for 5,000). Buffering that reply,
 * turning it into one string and JSON.parse-ing it held all three at once, and the parsed tree
 * alone was several times the text, for the dozen fields per neighbor the agent reads. Here the
 * reply is decoded as it arrives, and a member the caller does not keep is scanned, never built.
 *
 * `keep(path)` is asked once for each object member and array element with its path from the
 * root (keys, and array indices as strings); a member it refuses is left out together with
 * everything below it (keep is not asked about those). The result equals JSON.parse's of the same
 * text with the refused members removed. Strings with escapes are decoded by JSON.parse itself.
 */

export type KeepPath = (path: readonly string[]) => boolean;

/**
 * An open object or array. `value` is null when it is being skipped; `kept` says whether the
 * member being read now is built (its key or index is then the last entry of the path).
 */
type Container = {
  readonly isObject: boolean;
  readonly value: Record<string, unknown> | unknown[] | null;
  /** The current member: its key (objects) or index (arrays). */
  key: string;
  index: number;
  kept: boolean;
};

/** What the next token may be. */
const Expect = {
  Value: 0,
  /** After `{`: a key or `}`. */
  FirstKey: 1,
  /** After `,` in an object. */
  Key: 2,
  Colon: 3,
  /** After a value inside a container: `,` or its closing bracket. */
  CommaOrEnd: 4,
  /** After `[`: a value or `]`. */
  FirstValue: 5,
  /** The top-level value is complete: only whitespace may follow. */
  Done: 6,
} as const;
type Expect = (typeof Expect)[keyof typeof Expect];

/** The characters a number may consist of: its extent, before checking its form. */
const NUMBER_CHARS = /[-+0-9.eE]+/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Escapes to decode, or raw control characters JSON.parse rejects. */
const NEEDS_DECODING = /[\x00-\x1f\\]/;
const LITERALS: ReadonlyArray<readonly [string, unknown]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

export class JsonStreamParser {
  readonly #keep: KeepPath;
  readonly #stack: Container[] = [];
  /** Keys and indices from the root to the member being read, through kept members only. */
  readonly #path: string[] = [];
  #expect: Expect = Expect.Value;
  #root: unknown = undefined;
  #text = "";
  #pos = 0;
  /** Characters dropped before #text, for error positions. */
  #offset = 0;

  constructor(keep: KeepPath = () => true) {
    this.#keep = keep;
  }

  write(chunk: string): void {
    this.#offset += this.#pos;
    this.#text = this.#text.slice(this.#pos) + chunk;
    this.#pos = 0;
    this.#run(false);
  }

  /** The parsed (pruned) document; throws when the text is not one complete JSON value. */
  end(): unknown {
    this.#run(true);
    if (this.#expect !== Expect.Done) throw this.#error("unexpected end of JSON");
    return this.#root;
  }

  #error(what: string): JsonSyntaxError {
    return new JsonSyntaxError(`${what} at position ${this.#offset + this.#pos}`);
  }

  #top(): Container | undefined {
    return this.#stack[this.#stack.length - 1];
  }

  /** Whether the value that starts now is built. */
  #building(): boolean {
    const top = this.#top();
    return top === undefined || top.kept;
  }

  #run(final: boolean): void {
    const text = this.#text;
    const len = text.length;
    while (this.#pos < len) {
      const c = text.charCodeAt(this.#pos);
      // Whitespace: space, \t, \n, \r.
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        this.#pos++;
        continue;
      }
      switch (this.#expect) {
        case Expect.Done:
          throw this.#error("unexpected text after the JSON value");
        case Expect.Colon:
          if (c !== 58) throw this.#error("expected ':'");
          this.#pos++;
          this.#expect = Expect.Value;
          break;
        case Expect.CommaOrEnd: {
          const top = this.#top();
          const isObject = top?.isObject === true;
          if (c === 44) {
            this.#pos++;
            if (isObject) this.#expect = Expect.Key;
            else this.#beginElement();
          } else if (c === (isObject ? 125 : 93)) {
            this.#pos++;
            this.#close();
          } else throw this.#error(`expected ',' or '${isObject ? "}" : "]"}'`);
          break;
        }
        case Expect.FirstKey:
        case Expect.Key: {
          if (c === 125 && this.#expect === Expect.FirstKey) {
            this.#pos++;
            this.#close();
            break;
          }
          if (c !== 34) throw this.#error("expected a key");
          const top = this.#top();
          const key = this.#readString(final, false);
          if (key === undefined || top === undefined) return;
          top.key = key;
          top.kept = top.value !== null && this.#asKeep(key);
          this.#expect = Expect.Colon;
          break;
        }
        case Expect.FirstValue:
          if (c === 93) {
            this.#pos++;
            this.#close();
          } else this.#beginElement();
          break;
        case Expect.Value:
          if (!this.#readValue(c, final)) return;
          break;
      }
    }
  }

  /** Asks keep about the member `segment` of the top container; a kept one stays on the path. */
  #asKeep(segment: string): boolean {
    this.#path.push(segment);
    if (this.#keep(this.#path)) return true;
    this.#path.pop();
    return false;
  }

  #beginElement(): void {
    const top = this.#top();
    if (top === undefined) return;
    top.index++;
    top.kept = top.value !== null && this.#asKeep(String(top.index));
    this.#expect = Expect.Value;
  }

  /** Reads one value starting at `c`; false when the text ends inside it (more input needed). */
  #readValue(c: number, final: boolean): boolean {
    if (c === 123 || c === 91) {
      this.#pos++;
      const building = this.#building();
      const isObject = c === 123;
      this.#stack.push({ isObject, value: building ? (isObject ? {} : []) : null, key: "", index: -1, kept: false });
      this.#expect = isObject ? Expect.FirstKey : Expect.FirstValue;
      return true;
    }
    let value: unknown;
    if (c === 34) {
      const s = this.#readString(final, !this.#building());
      if (s === undefined) return false;
      value = s;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER_CHARS.lastIndex = this.#pos;
      const run = NUMBER_CHARS.exec(this.#text)?.[0] ?? "";
      // A number that touches the end of the text may go on in the next chunk.
      if (this.#pos + run.length === this.#text.length && !final) return false;
      NUMBER.lastIndex = this.#pos;
      if (NUMBER.exec(this.#text)?.[0] !== run) throw this.#error("bad number");
      this.#pos += run.length;
      value = Number(run);
    } else {
      const lit = LITERALS.find(([word]) => this.#text.startsWith(word, this.#pos));
      if (!lit) {
        const rest = this.#text.slice(this.#pos);
        if (!final && LITERALS.some(([word]) => word.startsWith(rest))) return false;
        throw this.#error("unexpected character");
      }
      this.#pos += lit[0].length;
      value = lit[1];
    }
    this.#store(value);
    return true;
  }

  /**
   * The string token at #pos (which is `"`): its value, "" when `discard` (skipped), or undefined
   * when it does not end in this text yet.
   */
  #readString(final: boolean, discard: boolean): string | undefined {
    const text = this.#text;
    let end = this.#pos;
    for (;;) {
      end = text.indexOf('"', end + 1);
      if (end < 0) {
        if (final) throw this.#error("unterminated string");
        return undefined;
      }
      let backslashes = 0;
      for (let i = end - 1; text.charCodeAt(i) === 92; i--) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    const start = this.#pos;
    this.#pos = end + 1;
    if (discard) return "";
    const raw = text.slice(start + 1, end);
    if (!NEEDS_DECODING.test(raw)) return raw;
    try {
      return JSON.parse(text.slice(start, end + 1)) as string;
    } catch {
      this.#pos = start;
      throw this.#error("bad string");
    }
  }

  /** Hands a finished value to its container (or makes it the root). */
  #store(value: unknown): void {
    const top = this.#top();
    if (top === undefined) {
      this.#root = value;
      this.#expect = Expect.Done;
      return;
    }
    this.#expect = Expect.CommaOrEnd;
    if (!top.kept) return;
    this.#path.pop();
    top.kept = false;
    if (Array.isArray(top.value)) top.value.push(value);
    else if (top.value !== null) setMember(top.value, top.key, value);
  }

  #close(): void {
    const done = this.#stack.pop();
    if (done === undefined) throw this.#error("unbalanced bracket");
    this.#store(done.value);
  }
}

/** `__proto__` as a JSON key is an own property (as with JSON.parse), never the prototype. */
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
