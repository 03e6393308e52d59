/**
 * The Google fake against Google's own client: `@googleapis/sheets` (v4) with google-auth-library's OAuth2Client
 * (refresh-token flow, its token URL pointed at the fake) reads spreadsheets.get with field masks and grid data,
 * values.get and values.batchGet as the reference documents them; the token endpoint checks a service account's
 * RS256 assertion against the registered public key and refuses any other key with invalid_grant.
 */
import { createSign, generateKeyPairSync } from "node:crypto";
import { auth, sheets } from "@googleapis/sheets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GoogleFake, startGoogleFake } from "../fakes/google-oauth/server";

let fake: GoogleFake;
let base: string;

beforeAll(async () => {
  fake = await startGoogleFake();
  base = `http://127.0.0.1:${fake.port}`;
});
afterAll(() => fake.close());

function client(user: string) {
  const refreshToken = `1//${crypto.randomUUID()}`;
  fake.issuer.addOAuthClient("cid.apps.googleusercontent.com", "GOCSPX-s", refreshToken, user, ["https://www.googleapis.com/auth/spreadsheets.readonly"]);
  const oauth = new auth.OAuth2({ clientId: "cid.apps.googleusercontent.com", clientSecret: "GOCSPX-s", endpoints: { oauth2TokenUrl: `${base}/token` } });
  oauth.setCredentials({ refresh_token: refreshToken });
  return sheets({ version: "v4", auth: oauth, rootUrl: `${base}/` });
}

function book(user: string) {
  const id = `1${crypto.randomUUID().replaceAll("-", "")}`;
  fake.sheets.put(id, {
    title: "Budget",
    shared_with: [user],
    sheets: [
      { title: "Q1 2024", rows: [["Item", "Cost", "Paid on"], ["Rent", 1200, { date: 45292 }], [], ["Food", 310.5, { date: 45300 }]], merges: [] },
      { title: "Notes", rows: [["Text"], ["hello"]] },
    ],
  });
  return id;
}

const assertion = (privateKey: string, claims: Record<string, unknown>) => {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
};

describe("Google fake with @googleapis/sheets", () => {
  it("spreadsheets.get answers the field mask, the grid size and, for ranges, grid data with number formats", async () => {
    const user = `u-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const api = client(user);
    const id = book(user);
    const props = await api.spreadsheets.get({ spreadsheetId: id, fields: "sheets.properties(title,gridProperties)" });
    expect(props.data).toEqual({
      sheets: [
        { properties: { title: "Q1 2024", gridProperties: { rowCount: 1000, columnCount: 26 } } },
        { properties: { title: "Notes", gridProperties: { rowCount: 1000, columnCount: 26 } } },
      ],
    });
    const grid = await api.spreadsheets.get({ spreadsheetId: id, ranges: ["'Q1 2024'!A1:C2"], fields: "sheets(data(rowData(values(effectiveValue,effectiveFormat(numberFormat(type))))))" });
    expect(grid.data.sheets?.[0]?.data?.[0]?.rowData?.[1]?.values).toEqual([
      { effectiveValue: { stringValue: "Rent" }, effectiveFormat: {} },
      { effectiveValue: { numberValue: 1200 }, effectiveFormat: {} },
      { effectiveValue: { numberValue: 45292 }, effectiveFormat: { numberFormat: { type: "DATE" } } },
    ]);
  });

  it("values.get and values.batchGet: render options, ragged rows, blank rows, no values for an empty range", async () => {
    const user = `u-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const api = client(user);
    const id = book(user);
    const formatted = await api.spreadsheets.values.get({ spreadsheetId: id, range: "'Q1 2024'!A1:C10" });
    expect(formatted.data).toEqual({
      range: "'Q1 2024'!A1:C10",
      majorDimension: "ROWS",
      values: [["Item", "Cost", "Paid on"], ["Rent", "1200", "1/1/2024"], [], ["Food", "310.5", "1/9/2024"]],
    });
    const batch = await api.spreadsheets.values.batchGet({
      spreadsheetId: id,
      ranges: ["'Q1 2024'!A2:C4", "Notes!A1:A1", "Notes!B5:C9"],
      valueRenderOption: "UNFORMATTED_VALUE",
      dateTimeRenderOption: "SERIAL_NUMBER",
    });
    expect(batch.data).toEqual({
      spreadsheetId: id,
      valueRanges: [
        { range: "'Q1 2024'!A2:C4", majorDimension: "ROWS", values: [["Rent", 1200, 45292], [], ["Food", 310.5, 45300]] },
        { range: "Notes!A1:A1", majorDimension: "ROWS", values: [["Text"]] },
        { range: "Notes!B5:C9", majorDimension: "ROWS" },
      ],
    });
    await expect(api.spreadsheets.values.get({ spreadsheetId: id, range: "Notes!A1:A1001" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("exceeds grid limits. Max rows: 1000"),
    });
  });

  it("refuses a spreadsheet not shared with the caller (403), an unknown one (404) and a revoked refresh token", async () => {
    const user = `u-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const id = book("someone-else@example.com");
    await expect(client(user).spreadsheets.get({ spreadsheetId: id })).rejects.toMatchObject({ status: 403, message: "The caller does not have permission" });
    await expect(client(user).spreadsheets.get({ spreadsheetId: "1missing000000000000000" })).rejects.toMatchObject({ status: 404 });
    const refreshToken = `1//${crypto.randomUUID()}`;
    fake.issuer.addOAuthClient("cid.apps.googleusercontent.com", "GOCSPX-s", refreshToken, user, ["https://www.googleapis.com/auth/spreadsheets.readonly"]);
    fake.issuer.revokeRefreshToken(refreshToken);
    const oauth = new auth.OAuth2({ clientId: "cid.apps.googleusercontent.com", clientSecret: "GOCSPX-s", endpoints: { oauth2TokenUrl: `${base}/token` } });
    oauth.setCredentials({ refresh_token: refreshToken });
    await expect(sheets({ version: "v4", auth: oauth, rootUrl: `${base}/` }).spreadsheets.get({ spreadsheetId: id })).rejects.toMatchObject({ message: expect.stringContaining("invalid_grant") });
  });

  it("the token endpoint verifies the assertion's RS256 signature against the registered key and refuses any other", async () => {
    const email = `sa-${crypto.randomUUID().slice(0, 6)}@p.iam.gserviceaccount.com`;
    const mine = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    fake.issuer.addServiceAccount(email, mine.publicKey);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: email, scope: "https://www.googleapis.com/auth/spreadsheets.readonly", aud: "https://oauth2.googleapis.com/token", iat: now, exp: now + 3600 };
    const grant = (jwt: string) =>
      fetch(`${base}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: jwt }) });
    const ok = await grant(assertion(mine.privateKey, claims));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ access_token: expect.stringMatching(/^ya29\./), expires_in: 3599, token_type: "Bearer" });
    const forged = await grant(assertion(other.privateKey, claims));
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ error: "invalid_grant", error_description: "Invalid JWT Signature." });
    const long = await grant(assertion(mine.privateKey, { ...claims, exp: now + 7200 }));
    expect(await long.json()).toMatchObject({ error: "invalid_grant" });
    fake.issuer.revokeServiceAccount(email);
    expect(await (await grant(assertion(mine.privateKey, claims))).json()).toEqual({ error: "invalid_grant", error_description: "Invalid grant: account not found" });
  });
});
