/**
 * SOQL errors carry the API's error code and a caret position. The real API renders the message as the
 * offending query line, a caret under the column and "ERROR at Row:r:Column:c" followed by the reason.
 */
export type SoqlErrorCode = "MALFORMED_QUERY" | "INVALID_FIELD" | "INVALID_TYPE" | "INVALID_QUERY_FILTER_OPERATOR" | "NUMBER_OUTSIDE_VALID_RANGE" | "INVALID_TYPE_FOR_OPERATION";

export class SoqlError extends Error {
  readonly code: SoqlErrorCode;
  readonly pos: number;
  readonly reason: string;
  constructor(code: SoqlErrorCode, pos: number, reason: string) {
    super(reason);
    this.code = code;
    this.pos = pos;
    this.reason = reason;
  }
}

export function renderSoqlError(query: string, error: SoqlError): string {
  const before = query.slice(0, error.pos);
  const row = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const lineEnd = query.indexOf("\n", error.pos);
  const line = query.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const column = error.pos - lineStart + 1;
  return `\n${line}\n${" ".repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${error.reason}`;
}
