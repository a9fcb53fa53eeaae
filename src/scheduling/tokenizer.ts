/**
 * The lexer of Krake's constraint grammar (also used by the API's Kubernetes
 * label selector syntax, which shares it): sequences of words (anything but
 * whitespace and the symbols below), operator symbols, parentheses and commas.
 */

export type TokenKind = "word" | "symbol" | "(" | ")" | ",";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 0-based offset of the token's first character in the input. */
  readonly pos: number;
}

/** Operator symbols, longest first so that `==` wins over `=`. */
const SYMBOLS = ["==", "!=", ">=", "=>", "<=", "=<", "=", ">", "<", "!"] as const;

const WORD_STOP = /[\s,()=!<>]/;

/** Splits `input` into tokens; never fails (unknown characters end up in words). */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, text: c, pos: i });
      i += 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => input.startsWith(s, i));
    if (symbol !== undefined) {
      tokens.push({ kind: "symbol", text: symbol, pos: i });
      i += symbol.length;
      continue;
    }
    const start = i;
    while (i < input.length && !WORD_STOP.test(input.charAt(i))) i += 1;
    tokens.push({ kind: "word", text: input.slice(start, i), pos: start });
  }
  return tokens;
}

/** A read position over a token list, with helpers for error messages. */
export class TokenCursor {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly inputLength: number,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(): Token | undefined {
    const token = this.tokens[this.index];
    if (token !== undefined) this.index += 1;
    return token;
  }

  atEnd(): boolean {
    return this.index >= this.tokens.length;
  }

  /** True (and consumes it) if the next token is a word equal to `text`. */
  acceptWord(text: string): boolean {
    const token = this.peek();
    if (token?.kind === "word" && token.text === text) {
      this.index += 1;
      return true;
    }
    return false;
  }

  /** True (and consumes it) if the next token has this kind (and text, if given). */
  accept(kind: TokenKind, text?: string): boolean {
    const token = this.peek();
    if (token?.kind === kind && (text === undefined || token.text === text)) {
      this.index += 1;
      return true;
    }
    return false;
  }

  /** `expected <what> at position N, found "x"` (or `found end of input`). */
  expected(what: string, token: Token | undefined = this.peek()): string {
    return `expected ${what} at position ${token?.pos ?? this.inputLength}, found ${describe(token)}`;
  }
}

export function describe(token: Token | undefined): string {
  return token === undefined ? "end of input" : JSON.stringify(token.text);
}
