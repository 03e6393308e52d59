import { describe, expect, it } from "vitest";
import { findLink, parseLinkHeader } from "../../connectors/kit/link-header";

describe("findLink(rel=next)", () => {
  it.each([
    ["GitHub style, next first", '<https://api.x.com/r?page=2>; rel="next", <https://api.x.com/r?page=9>; rel="last"', "https://api.x.com/r?page=2"],
    ["next after prev", '<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next"', "https://a/x?page=3"],
    ["unquoted rel", "<https://a/x?p=2>; rel=next", "https://a/x?p=2"],
    ["case-insensitive name and value", '<https://a/x?p=2>; REL="Next"', "https://a/x?p=2"],
    ["one of several relation types", '<https://a/x?p=2>; rel="next last"', "https://a/x?p=2"],
    ["commas inside the URI", '<https://a/x?ids=1,2,3&page=2>; rel="next"', "https://a/x?ids=1,2,3&page=2"],
    ["comma and semicolon inside a quoted param", '<https://a/1>; title="a, b; c"; rel="prev", <https://a/2>; title="x, y"; rel="next"', "https://a/2"],
    ["escaped quote inside a quoted param", '<https://a/1>; title="say \\"hi\\", ok"; rel=next', "https://a/1"],
    ["loose whitespace", '   <https://a/2>  ;  rel = "next"  ,<https://a/9>;rel="last"', "https://a/2"],
    ["garbage before a valid link", 'garbage;rel="next", <https://a/2>; rel="next"', "https://a/2"],
    ["relative reference", '</items?page=2>; rel="next"', "/items?page=2"],
    ["several Link headers joined by the Headers API", '<https://a/p>; rel="prev", <https://a/n>; rel="next"', "https://a/n"],
  ])("%s", (_name, header, expected) => {
    expect(findLink(header, "next")).toBe(expected);
  });

  it.each([
    ["no header", null],
    ["empty header", ""],
    ["only prev and first", '<https://a/1>; rel="prev", <https://a/0>; rel="first"'],
    ["a later duplicate rel is ignored (RFC 8288 §3)", '<https://a/1>; rel="prev"; rel="next"'],
    ["next only as part of another word", '<https://a/1>; rel="nextpage"'],
    ["unterminated URI", '<https://a/1; rel="next"'],
  ])("finds nothing: %s", (_name, header) => {
    expect(findLink(header, "next")).toBeUndefined();
  });
});

describe("parseLinkHeader", () => {
  it("keeps every link with lower-cased parameter names", () => {
    expect(parseLinkHeader('<https://a/2>; rel="next"; Title="Page 2", <https://a/9>; rel=last; anchor="#x"')).toEqual([
      { uri: "https://a/2", params: { rel: "next", title: "Page 2" } },
      { uri: "https://a/9", params: { rel: "last", anchor: "#x" } },
    ]);
  });
});
