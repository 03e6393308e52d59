/**
 * The kit's one redaction (kit/http-errors.ts): secret values in messages, secret query parameters in any URL a
 * message or log line quotes, and next-page links kept in checkpoints without the query credential.
 */
import { describe, expect, it } from "vitest";
import { redact, redactUrl, redactUrls, SECRET_QUERY_PARAMS, withoutQueryParams } from "../../connectors/kit/http-errors";
import { createPaginator } from "../../connectors/kit/paginators";
import { apiKey } from "../../connectors/kit/auth";
import { failure, reply, testClient } from "./fake-fetch";

describe("redact", () => {
  it("replaces every known secret, longest first, and ignores absent ones", () => {
    expect(redact("user:pw pw dXNlcjpwdw==", ["pw", undefined, null, "", "dXNlcjpwdw=="])).toBe("user:[redacted] [redacted] [redacted]");
    expect(redact("token abcdef and abc", ["abc", "abcdef"])).toBe("token [redacted] and [redacted]");
    expect(redact("nothing here", [])).toBe("nothing here");
  });
});

describe("redactUrls", () => {
  it.each(SECRET_QUERY_PARAMS.map((name) => [name]))("redacts %s, whatever its case", (name) => {
    const url = `https://api.example.com/v1/items?page=2&${name}=s3cr3t&limit=10`;
    expect(redactUrl(url)).toBe(`https://api.example.com/v1/items?page=2&${name}=[redacted]&limit=10`);
    expect(redactUrl(url.replace(name, name.toUpperCase()))).not.toContain("s3cr3t");
  });

  it("redacts URLs inside a message, the extra names a config declares, and passwords in user info", () => {
    const message = 'api.example.com said: "bad request for GET https://api.example.com/x?q=1&X-Custom-Auth=abc&Token=t1#frag" (HTTP 400)';
    expect(redactUrls(message, ["x-custom-auth"])).toBe('api.example.com said: "bad request for GET https://api.example.com/x?q=1&X-Custom-Auth=[redacted]&Token=[redacted]#frag" (HTTP 400)');
    expect(redactUrl("https://ana:hunter2@db.example.com/path?a=1")).toBe("https://ana:[redacted]@db.example.com/path?a=1");
    expect(redactUrl("https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIA%2F20240101&X-Amz-Signature=ff00&X-Amz-Expires=60")).toBe(
      "https://s3.amazonaws.com/b/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Expires=60",
    );
    // Names that only contain a secret name are not secrets; text that does not parse as a URL is still redacted.
    expect(redactUrl("https://api.example.com/?monkey=1&keys=2&page_token_hint=3")).toBe("https://api.example.com/?monkey=1&keys=2&page_token_hint=3");
    expect(redactUrl("ht tp://broken?api_key=abc")).toBe("ht tp://broken?api_key=[redacted]");
  });
});

describe("withoutQueryParams", () => {
  it("drops the named parameters pair by pair, keeping every other byte of the link", () => {
    const link = "https://api.example.com/items?limit=100&API_KEY=k1&filter=(a:b)&cursor=%2B%2F&api_key=k2#top";
    expect(withoutQueryParams(link, ["api_key"])).toBe("https://api.example.com/items?limit=100&filter=(a:b)&cursor=%2B%2F#top");
    expect(withoutQueryParams("https://api.example.com/items?api_key=k1", ["api_key"])).toBe("https://api.example.com/items");
    expect(withoutQueryParams(link, [])).toBe(link);
  });

  it("keeps a next_url or link_header paginator's stored link free of the query credential, and the request still carries it", async () => {
    const paginator = createPaginator({ type: "next_url", next_url_path: "next" }, { dropLinkParams: ["api_key"] });
    const page = (next: string) => ({ body: { next }, headers: new Headers(), url: "https://api.example.com/items?api_key=k1", records: [{}] });
    expect(paginator.next(null, page("/items?cursor=2&api_key=k1"))).toEqual({ url: "https://api.example.com/items?cursor=2" });
    // The echoed key does not hide a link that repeats itself.
    const state = { url: "https://api.example.com/items?cursor=2" };
    expect(() => paginator.next(state, page("/items?api_key=k1&cursor=2"))).toThrowError(expect.objectContaining({ kind: "data" }));

    const { http, sent } = testClient(reply(200, []));
    const keyed = http.extend({ auth: apiKey("api_key", "query", "k1") });
    await keyed.request({ url: "https://api.example.com/items?cursor=2" });
    expect(new URL(sent.at(-1)!.url).search).toBe("?cursor=2&api_key=k1");
  });
});

describe("the http client's error messages", () => {
  it("quote an API error body that echoes the URL with its secret parameters redacted", async () => {
    const echoed = "https://api.example.com/items?token=abc123&signature=ffee&page=2";
    const { http } = testClient(reply(400, { error: { message: `invalid request ${echoed}` } }));
    const error = await failure(http.request({ url: "https://api.example.com/items" }));
    expect(error.message).toBe("api.example.com rejected the request to /items (HTTP 400): invalid request https://api.example.com/items?token=[redacted]&signature=[redacted]&page=2");
  });

  it("never quote a secret parameter of a URL that cannot be parsed", async () => {
    const { http } = testClient(reply(200, {}));
    const error = await failure(http.request({ url: "not a url?api_key=abc123" }));
    expect(error).toMatchObject({ kind: "configuration", message: "not a valid URL: not a url?api_key=[redacted]" });
  });
});
