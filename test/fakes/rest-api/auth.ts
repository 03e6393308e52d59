import { HttpError, isPlainObject, rejectUnknownKeys } from "./http";

/** The credential a tenant's item endpoints demand, in the shape of the rest_api connector's `auth` config. */
export type AuthRule =
  | { type: "none" }
  | { type: "bearer"; token: string }
  | { type: "api_key"; name: string; in: "header" | "query"; value: string }
  | { type: "basic"; username: string; password: string };

export interface Credentials {
  headers: Record<string, string>;
  query: URLSearchParams;
}

export function parseAuthRule(value: unknown): AuthRule {
  if (value === undefined || value === null) return { type: "none" };
  if (!isPlainObject(value)) throw new HttpError(400, "auth must be an object");
  switch (value.type) {
    case "none":
      rejectUnknownKeys(value, ["type"], "auth");
      return { type: "none" };
    case "bearer":
      rejectUnknownKeys(value, ["type", "token"], "auth");
      return { type: "bearer", token: text(value, "token") };
    case "api_key": {
      rejectUnknownKeys(value, ["type", "name", "in", "value"], "auth");
      const where = value.in ?? "header";
      if (where !== "header" && where !== "query") throw new HttpError(400, 'auth.in must be "header" or "query"');
      return { type: "api_key", name: text(value, "name"), in: where, value: text(value, "value") };
    }
    case "basic":
      rejectUnknownKeys(value, ["type", "username", "password"], "auth");
      return { type: "basic", username: text(value, "username"), password: text(value, "password", true) };
    default:
      throw new HttpError(400, 'auth.type must be "none", "bearer", "api_key" or "basic"');
  }
}

function text(value: Record<string, unknown>, key: string, allowEmpty = false): string {
  const field = value[key];
  if (typeof field !== "string" || (!allowEmpty && field === "")) {
    throw new HttpError(400, `auth.${key} must be a non-empty string`);
  }
  return field;
}

/** RFC 9110 §11.1: the auth scheme is case-insensitive; the credentials are not. */
function schemeCredentials(authorization: string | undefined, scheme: string): string | undefined {
  if (!authorization) return undefined;
  const match = /^(\S+) +(.+)$/.exec(authorization.trim());
  if (!match || match[1]?.toLowerCase() !== scheme) return undefined;
  return match[2];
}

export function isAuthorized(rule: AuthRule, credentials: Credentials): boolean {
  const { headers, query } = credentials;
  switch (rule.type) {
    case "none":
      return true;
    case "bearer":
      return schemeCredentials(headers.authorization, "bearer") === rule.token;
    case "api_key":
      // Header names are case-insensitive (RFC 9110 §5.1); query parameter names are not.
      return (rule.in === "header" ? headers[rule.name.toLowerCase()] : query.get(rule.name)) === rule.value;
    case "basic": {
      const encoded = schemeCredentials(headers.authorization, "basic");
      const decoded = encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
      return decoded === `${rule.username}:${rule.password}`;
    }
  }
}

/** The challenge a real API sends with its 401 (RFC 9110 §11.6.1), so clients can tell which scheme is wanted. */
export function challenge(rule: AuthRule): Record<string, string> {
  if (rule.type === "bearer") return { "www-authenticate": 'Bearer realm="api.example.com"' };
  if (rule.type === "basic") return { "www-authenticate": 'Basic realm="api.example.com", charset="UTF-8"' };
  return {};
}
