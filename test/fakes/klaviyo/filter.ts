/**
 * Klaviyo's `filter` query language (https://developers.klaviyo.com/en/docs/filtering_): operator calls such as
 * `equals(messages.channel,'email')`, `greater-than(updated,2024-01-01T00:00:00Z)` and `any(id,["a","b"])`, joined
 * with `and(...)` (a comma-separated list of calls at the top level also means "and"). Strings are quoted, datetimes
 * are not — a quoted datetime compared with a datetime field is the 400 users meet (research §5).
 */
export type FilterValue = string | number | boolean | null | { datetime: number } | FilterValue[];

export interface Condition {
  op: string;
  field: string;
  value: FilterValue;
}

export class FilterSyntaxError extends Error {}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses a filter into the conditions it ANDs together (`or`/`not` are outside what the fake's endpoints take). */
export function parseFilter(text: string): Condition[] {
  const parser = new Parser(text);
  const out: Condition[] = [];
  do out.push(...parser.call()); while (parser.eat(","));
  parser.end();
  return out;
}

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  eat(token: string): boolean {
    this.space();
    if (this.text.startsWith(token, this.at)) {
      this.at += token.length;
      return true;
    }
    return false;
  }

  end() {
    this.space();
    if (this.at !== this.text.length) throw new FilterSyntaxError(`unexpected "${this.text.slice(this.at, this.at + 20)}"`);
  }

  private space() {
    while (this.text[this.at] === " ") this.at++;
  }

  private expect(token: string) {
    if (!this.eat(token)) throw new FilterSyntaxError(`expected "${token}" at position ${this.at}`);
  }

  private word(): string {
    this.space();
    const match = /^[A-Za-z_$][\w.$-]*/.exec(this.text.slice(this.at));
    if (!match) throw new FilterSyntaxError(`expected a name at position ${this.at}`);
    this.at += match[0].length;
    return match[0];
  }

  call(): Condition[] {
    const op = this.word();
    this.expect("(");
    if (op === "and") {
      const out: Condition[] = [];
      do out.push(...this.call()); while (this.eat(","));
      this.expect(")");
      return out;
    }
    const field = this.word();
    this.expect(",");
    const value = this.value();
    this.expect(")");
    return [{ op, field, value }];
  }

  private value(): FilterValue {
    this.space();
    const c = this.text[this.at];
    if (c === "'" || c === '"') {
      const close = this.text.indexOf(c, this.at + 1);
      if (close < 0) throw new FilterSyntaxError("unterminated string");
      const value = this.text.slice(this.at + 1, close);
      this.at = close + 1;
      return value;
    }
    if (c === "[") {
      this.at++;
      const items: FilterValue[] = [];
      if (!this.eat("]")) {
        do items.push(this.value()); while (this.eat(","));
        this.expect("]");
      }
      return items;
    }
    const match = /^[^,()\]]+/.exec(this.text.slice(this.at));
    if (!match) throw new FilterSyntaxError(`expected a value at position ${this.at}`);
    this.at += match[0].length;
    const raw = match[0].trim();
    if (raw === "true" || raw === "false") return raw === "true";
    if (raw === "null") return null;
    if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    if (ISO.test(raw) && !Number.isNaN(Date.parse(raw))) return { datetime: Date.parse(raw) / 1000 };
    throw new FilterSyntaxError(`"${raw}" is not a value (strings must be quoted)`);
  }
}
