/**
 * Isolates' leased allowances of the workspace limit (src/api/middleware/rate-limit.ts) against the workspace's real
 * limiter object: however requests spread over isolates and over their leases, no 1 s span admits more than 20 and
 * no 60 s span more than 100, refusals are not counted, and unspent slots go back.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RateAllowances } from "../../src/api/middleware/rate-limit";
import { LEASE_MS, LIMITS } from "../../src/lib/workspace-rate-limiter";

const limiterOf = (name: string) => env.RATE_LIMITER.getByName(`workspace:${name}`);
const loggedSlots = (name: string) =>
  runInDurableObject(limiterOf(name), (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hits").one().n);

/** A simulated clock shared by the isolates and the object (its `now` passed through the RPC). */
function simulation(name: string) {
  const clock = { now: Date.now() };
  const stub = limiterOf(name);
  const limiter = () => ({ lease: (want: number, returned: { lease: string; unspent: number }[]) => stub.lease(want, returned, clock.now) });
  return { clock, isolate: () => new RateAllowances(() => clock.now), limiter };
}

/** The most admitted requests in any span [t, t + windowMs) of the admission times. */
function busiestSpan(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe("leased allowances", () => {
  it("two isolates under random bursts never admit more than the limits together, and a refusal is not counted", async () => {
    const name = `alloc-${crypto.randomUUID()}`;
    const sim = simulation(name);
    const isolates = [sim.isolate(), sim.isolate()];
    const admitted: number[] = [];
    let refused = 0;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // 150 simulated seconds: bursts of up to 12 requests at once on either isolate, 0–400 ms apart.
    while (sim.clock.now < Date.now() + 150_000) {
      const isolate = isolates[random() < 0.5 ? 0 : 1]!;
      const burst = 1 + Math.floor(random() * 12);
      const decisions = await Promise.all(Array.from({ length: burst }, () => isolate.admit(name, sim.limiter)));
      for (const d of decisions) {
        if (d.allowed) admitted.push(sim.clock.now);
        else refused++;
      }
      sim.clock.now += Math.floor(random() * 400);
    }
    expect(refused).toBeGreaterThan(0);
    expect(busiestSpan(admitted, LIMITS[0].windowMs)).toBeLessThanOrEqual(20);
    expect(busiestSpan(admitted, LIMITS[1].windowMs)).toBeLessThanOrEqual(100);
    // The refusals left the budget to requests: over 150 s the 100/min window admits at least two full minutes' worth.
    expect(admitted.length).toBeGreaterThanOrEqual(200);
  });

  it("a burst of 21 in one isolate admits 20 and refuses one; another isolate is refused meanwhile", async () => {
    const name = `alloc-${crypto.randomUUID()}`;
    const sim = simulation(name);
    const [a, b] = [sim.isolate(), sim.isolate()];
    const decisions = await Promise.all(Array.from({ length: 21 }, () => a.admit(name, sim.limiter)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    const refusal = decisions.find((d) => !d.allowed)!;
    expect(refusal.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await b.admit(name, sim.limiter)).allowed).toBe(false);
    expect(await loggedSlots(name)).toBe(20);
  });

  it("a lease's unspent slots count until handed back with the isolate's next call, then are gone", async () => {
    const name = `alloc-${crypto.randomUUID()}`;
    const sim = simulation(name);
    const [a, b] = [sim.isolate(), sim.isolate()];
    expect((await a.admit(name, sim.limiter)).allowed).toBe(true);
    const leased = await loggedSlots(name);
    expect(leased).toBeGreaterThan(1);
    // The other isolate's view of the 20/s window counts the first one's whole lease while it may still be spent.
    const seen: boolean[] = [];
    for (let i = 0; i < 20; i++) seen.push((await b.admit(name, sim.limiter)).allowed);
    expect(seen.filter(Boolean)).toHaveLength(20 - leased);
    // The lease ends: its slots leave the 1 s window a second after, but stay in the 60 s one until handed back.
    sim.clock.now += LEASE_MS + LIMITS[0].windowMs;
    expect(await loggedSlots(name)).toBe(20);
    expect((await a.admit(name, sim.limiter)).allowed).toBe(true);
    const afterReturn = await loggedSlots(name);
    // leased - 1 unspent went back; the new call logged its own lease.
    const newLease = afterReturn - (20 - (leased - 1));
    expect(newLease).toBeGreaterThanOrEqual(1);
    expect(newLease).toBeLessThanOrEqual(5);
  });

  it("with most of the minute's budget spent, a lease takes at most half of the room", async () => {
    const name = `alloc-${crypto.randomUUID()}`;
    const stub = limiterOf(name);
    let now = Date.now();
    for (let i = 0; i < 96; i++, now += 60) expect((await stub.hit(now)).allowed).toBe(true);
    now += 1_000;
    const first = await stub.lease(20, [], now);
    expect(first.granted).toBe(2);
    const second = await stub.lease(20, [], now);
    expect(second.granted).toBe(1);
    expect((await stub.lease(20, [], now)).granted).toBe(1);
    const refused = await stub.lease(20, [], now);
    expect(refused).toMatchObject({ allowed: false, granted: 0 });
    // Handing the first lease's slot back (one spent) makes room for one more.
    expect((await stub.lease(1, [{ lease: first.lease!, unspent: 1 }], now)).allowed).toBe(true);
    expect((await stub.lease(1, [], now)).allowed).toBe(false);
  });
});
