/**
 * Phased reads (kit/phased.ts): named phases run in order under one checkpoint that names the phase, its position
 * and what the reader carries; resuming in any phase continues exactly there. HubSpot's and Stripe's suites test
 * the same part through their readers.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ConnectorContext, JsonObject, Page } from "../../connectors/kit/contract";
import { DONE, httpPhase, type Phase, phasedCheckpoints, readPhased } from "../../connectors/kit/phased";
import { createPaginator } from "../../connectors/kit/paginators";
import { testClient } from "./fake-fetch";
import { pagedApi } from "./paged-api";

const carry = z.object({ seen: z.number(), bound: z.string() });
type Carry = z.output<typeof carry>;
const checkpoints = phasedCheckpoints<Carry>({ reader: "test", positionKey: "at", carry });

/** A phase over an in-memory list, `size` records a page, its position the next index (null after the last page). */
function listPhase(name: string, items: number[], size: number, log: string[]): Phase<Carry> {
  return {
    name,
    async *pages(_ctx, position, { seen, bound }) {
      let at = typeof position === "number" ? position : 0;
      let count = seen;
      while (at < items.length) {
        log.push(`${name}@${at}`);
        const records = items.slice(at, at + size).map((id) => ({ id, phase: name }));
        at += size;
        count += records.length;
        yield { records, position: at < items.length ? at : null, carry: { seen: count, bound }, state: { seen: count } };
      }
    },
  };
}

function context(signal = new AbortController().signal): ConnectorContext {
  return { http: testClient(() => Response.json({})).http, signal, now: () => new Date("2026-01-01T00:00:00Z") };
}

async function collect(pages: AsyncIterable<Page>, stopAfter = Number.POSITIVE_INFINITY): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages) {
    out.push(JSON.parse(JSON.stringify(page)) as Page);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const start = { phase: "first", position: null, carry: { seen: 0, bound: "2026-01-01" } };

describe("readPhased", () => {
  it("runs the phases in order, each from its start, with one checkpoint naming the phase, its position and the carry", async () => {
    const log: string[] = [];
    const phases = [listPhase("first", [1, 2, 3, 4, 5], 2, log), listPhase("second", [6, 7, 8], 2, log)];
    const pages = await collect(readPhased(context(), checkpoints, phases, start));
    expect(log).toEqual(["first@0", "first@2", "first@4", "second@0", "second@2"]);
    expect(pages.map((p) => p.checkpoint)).toEqual([
      { phase: "first", at: 2, seen: 2, bound: "2026-01-01" },
      { phase: "first", at: 4, seen: 4, bound: "2026-01-01" },
      // The phase's last page: the checkpoint names the next phase at its start.
      { phase: "second", at: null, seen: 5, bound: "2026-01-01" },
      { phase: "second", at: 2, seen: 7, bound: "2026-01-01" },
      { phase: DONE, at: null, seen: 8, bound: "2026-01-01" },
    ]);
    expect(pages.at(-1)!.state).toEqual({ seen: 8 });
  });

  it("resumes from any page's checkpoint with exactly the rest, the carry restored; a done checkpoint reads nothing", async () => {
    const make = (log: string[]) => [listPhase("first", [1, 2, 3, 4, 5], 2, log), listPhase("second", [6, 7, 8], 2, log)];
    const all = await collect(readPhased(context(), checkpoints, make([]), start));
    for (const [index, page] of all.entries()) {
      const resumed = checkpoints.resume(page.checkpoint);
      const rest = await collect(readPhased(context(), checkpoints, make([]), resumed!));
      expect(rest.flatMap((p) => p.records), `after page ${index}`).toEqual(all.slice(index + 1).flatMap((p) => p.records));
      if (rest.length > 0) expect(rest.at(-1)!.checkpoint).toEqual(all.at(-1)!.checkpoint);
    }
    const log: string[] = [];
    expect(await collect(readPhased(context(), checkpoints, make(log), checkpoints.resume(all.at(-1)!.checkpoint)!))).toEqual([]);
    expect(log).toEqual([]);
  });

  it("finds a phase by name when the plan has fewer phases, and refuses one it does not have or a foreign checkpoint", async () => {
    const log: string[] = [];
    const resumed = checkpoints.resume({ phase: "second", at: 2, seen: 7, bound: "b" })!;
    const pages = await collect(readPhased(context(), checkpoints, [listPhase("second", [6, 7, 8], 2, log)], resumed));
    expect(log).toEqual(["second@2"]);
    expect(pages[0]!.checkpoint).toEqual({ phase: DONE, at: null, seen: 8, bound: "b" });

    await expect(collect(readPhased(context(), checkpoints, [listPhase("first", [1], 1, [])], resumed))).rejects.toMatchObject({
      kind: "data",
      message: 'checkpoint names phase "second", which this read does not have',
    });
    const foreigners: JsonObject[] = [{ next: null, done: false, cursor: null }, { phase: "first", at: 1, seen: "x", bound: "b" }, { phase: "first", seen: 1, bound: "b" }];
    for (const foreign of foreigners) {
      expect(() => checkpoints.resume(foreign)).toThrowError(expect.objectContaining({ kind: "data", message: expect.stringContaining("not written by the test reader") }));
    }
    expect(checkpoints.resume(null)).toBeNull();
  });

  it("keeps a position that says by itself that the phase is finished, and stops before the next phase when aborted", async () => {
    // A source whose final position is not null (the kit's declarative checkpoint with done: true) stays in its phase.
    const selfEnding: Phase<Carry> = {
      name: "first",
      async *pages(_ctx, position, c) {
        if (position !== null) return;
        yield { records: [{ id: 1 }], position: { done: true }, carry: c };
      },
    };
    const log: string[] = [];
    const pages = await collect(readPhased(context(), checkpoints, [selfEnding, listPhase("second", [2], 1, log)], start));
    expect(pages.map((p) => p.checkpoint.phase)).toEqual(["first", DONE]);
    expect(pages[0]!.checkpoint.at).toEqual({ done: true });
    const resumed = await collect(readPhased(context(), checkpoints, [selfEnding], checkpoints.resume(pages[0]!.checkpoint)!));
    expect(resumed).toEqual([]);

    const controller = new AbortController();
    const aborting: Phase<Carry> = {
      name: "first",
      async *pages(_ctx, _position, c) {
        controller.abort();
        yield { records: [{ id: 1 }], position: null, carry: c };
      },
    };
    const later: string[] = [];
    const cut = await collect(readPhased(context(controller.signal), checkpoints, [aborting, listPhase("second", [2], 1, later)], start));
    expect(cut.map((p) => p.checkpoint.phase)).toEqual(["second"]);
    expect(later).toEqual([]);
  });
});

describe("httpPhase", () => {
  it("pages the kit's declarative loop, its position the paginator state, shaping records and carry per page", async () => {
    const { http, sent } = testClient(pagedApi);
    const ctx: ConnectorContext = { http, signal: new AbortController().signal, now: () => new Date() };
    const stream = {
      request: { url: "https://api.example.com/cursor", query: { limit: 10 } },
      paginator: createPaginator({ type: "cursor", cursor_param: "after", cursor_path: "paging.next.after", limit_param: "limit", limit: 10 }),
      recordsPath: "results",
    };
    const even = httpPhase<Carry>("even", stream, (records, c) => {
      const kept = records.filter((r) => (r.id as number) % 2 === 0);
      return { records: kept, carry: { ...c, seen: c.seen + kept.length } };
    });
    const pages = await collect(readPhased(ctx, checkpoints, [even], { phase: "even", position: null, carry: { seen: 0, bound: "b" } }));
    expect(sent.map((r) => new URL(r.url).search)).toEqual(["?limit=10", "?limit=10&after=10", "?limit=10&after=20"]);
    expect(pages.map((p) => p.checkpoint)).toEqual([
      { phase: "even", at: { cursor: "10" }, seen: 5, bound: "b" },
      { phase: "even", at: { cursor: "20" }, seen: 10, bound: "b" },
      { phase: DONE, at: null, seen: 11, bound: "b" },
    ]);
  });
});
