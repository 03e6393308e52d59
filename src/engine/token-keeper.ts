/**
 * TokenKeeper: one Durable Object per loader that holds its OAuth tokens for every chunk of every run. It renews one
 * at a time, so parallel streams never spend a single-use refresh token twice; it keeps the newest refresh token in
 * its own storage (sealed like the loader's config) and saves a rotated one into the loader through a service verb.
 * The HTTP call itself is the chunk's: the keeper calls back into it, so the connector's own token request, host
 * rules, retries and request budget apply unchanged.
 */
import { DurableObject } from "cloudflare:workers";
import type { TokenRequest } from "../../connectors/kit/contract";
import type { ConnectorError, ConnectorErrorKind } from "../../connectors/kit/errors";
import type { TokenResponse } from "../../connectors/kit/oauth2";
import type { Env } from "../env";
import { settings } from "../env";
import { sha256Hex } from "../lib/ids";
import { log } from "../lib/log";
import { openJson, sealJson } from "../lib/secrets";
import { serviceContext } from "../services/context";
import { saveRotatedSecret } from "../services/loaders/rotate-secret";

export interface LoaderRef {
  workspaceId: string;
  loaderId: string;
}

/**
 * What crosses the RPC boundary instead of a thrown ConnectorError, whose kind and details an RPC error would drop
 * (only the message survives serialization).
 */
export type Obtained =
  | { ok: true; response: TokenResponse }
  | { ok: false; kind: ConnectorErrorKind; message: string; details: ConnectorError["details"] };

interface Held {
  /** The newest refresh token: the configured one, or the last one the provider rotated to. */
  refreshToken: string;
  /** SHA-256 of refresh tokens rotated away from: a chunk that read one of them read a config this keeper has moved past. */
  retired: string[];
  /** The last token response, without its refresh token. */
  response: TokenResponse | null;
  /** Epoch ms; null for a token announced without expires_in (Salesforce), kept until the API refuses it. */
  expiresAt: number | null;
  /** The loader's config does not hold `refreshToken` yet (the save failed, or a user's update wrote an older one). */
  unsaved: boolean;
}

/** A token this close to its end is renewed rather than handed out: the chunk caches it for a minute less still. */
const SERVE_MARGIN_MS = 120_000;
const RETIRED_KEPT = 50;

export class TokenKeeper extends DurableObject<Env> {
  private queue: Promise<unknown> = Promise.resolve();

  /** One request at a time: a renewal awaits the chunk's callback, and a second renewal must wait for its answer. */
  async token(ref: LoaderRef, request: TokenRequest, obtain: (refreshToken: string) => Promise<Obtained>): Promise<Obtained> {
    const turn = this.queue.then(() => this.serve(ref, request, obtain));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Drops every token held, after any renewal in progress (the loader is deleted). */
  async forget(): Promise<void> {
    const turn = this.queue.then(() => this.ctx.storage.deleteAll());
    this.queue = turn.catch(() => undefined);
    await turn;
  }

  private async serve(ref: LoaderRef, request: TokenRequest, obtain: (refreshToken: string) => Promise<Obtained>): Promise<Obtained> {
    const held = await this.adopt(ref, request);
    const now = Date.now();
    if (held.response && held.response.access_token !== request.rejected && (held.expiresAt === null || held.expiresAt - now > SERVE_MARGIN_MS)) {
      if (held.unsaved) await this.save(ref, request.field, held);
      return { ok: true, response: withRemainingLife(held.response, held.expiresAt, now) };
    }

    const obtained = await obtain(held.refreshToken);
    if (!obtained.ok) {
      // The refused token must not be handed out again; the refresh token stays, a user fixes it with an update.
      if (held.response?.access_token === request.rejected) await this.store(ref, request.field, { ...held, response: null, expiresAt: null });
      return obtained;
    }
    const rotated = obtained.response.refresh_token;
    const response: TokenResponse = { ...obtained.response };
    delete response.refresh_token;
    const expiresIn = Number(response.expires_in);
    const next: Held = {
      ...held,
      response,
      expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null,
    };
    if (typeof rotated === "string" && rotated && rotated !== held.refreshToken) {
      // The provider has already retired the old token: the new one goes to storage before anything else can fail.
      next.retired = [...held.retired, await sha256Hex(held.refreshToken)].slice(-RETIRED_KEPT);
      next.refreshToken = rotated;
      next.unsaved = true;
    }
    await this.store(ref, request.field, next);
    if (next.unsaved) await this.save(ref, request.field, next);
    return { ok: true, response };
  }

  /** The keeper's state for this field, reconciled with the refresh token the chunk read from the loader's config. */
  private async adopt(ref: LoaderRef, request: TokenRequest): Promise<Held> {
    const held = await this.load(ref, request.field);
    if (!held) {
      const fresh: Held = { refreshToken: request.refreshToken, retired: [], response: null, expiresAt: null, unsaved: false };
      await this.store(ref, request.field, fresh);
      return fresh;
    }
    if (request.refreshToken === held.refreshToken) return held;
    if (held.retired.includes(await sha256Hex(request.refreshToken))) {
      // The chunk read the config before a rotation was saved, or a user's update wrote an older token back.
      return held.unsaved ? held : { ...held, unsaved: true };
    }
    // A token this keeper never saw: a user authorized again. It replaces everything held.
    const replaced: Held = { refreshToken: request.refreshToken, retired: held.retired, response: null, expiresAt: null, unsaved: false };
    await this.store(ref, request.field, replaced);
    return replaced;
  }

  /** Writes the newest refresh token into the loader's config; a failure is logged and retried on the next call. */
  private async save(ref: LoaderRef, field: string, held: Held): Promise<void> {
    try {
      const ctx = serviceContext(this.env, { kind: "system", reason: "engine" });
      const retired = new Set(held.retired);
      const outcome = await saveRotatedSecret(ctx, ref, field, held.refreshToken, async (stored) => stored === undefined || retired.has(await sha256Hex(stored)));
      await this.store(ref, field, { ...held, unsaved: false });
      if (outcome === "superseded") log("info", "a user replaced the refresh token; the rotated one was not saved", { loader_id: ref.loaderId, field });
    } catch (error) {
      log("warn", "rotated refresh token not saved to the loader yet", { loader_id: ref.loaderId, field, error: error instanceof Error ? error.message : String(error) });
      if (!held.unsaved) await this.store(ref, field, { ...held, unsaved: true });
    }
  }

  private aad(ref: LoaderRef, field: string): string {
    return `token-keeper:${ref.workspaceId}:${ref.loaderId}:${field}`;
  }

  private async load(ref: LoaderRef, field: string): Promise<Held | undefined> {
    const sealed = await this.ctx.storage.get<string>(`held:${field}`);
    return sealed ? openJson<Held>(settings(this.env).SECRETS_KEYRING, sealed, this.aad(ref, field)) : undefined;
  }

  private async store(ref: LoaderRef, field: string, held: Held): Promise<void> {
    await this.ctx.storage.put(`held:${field}`, await sealJson(settings(this.env).SECRETS_KEYRING, held, this.aad(ref, field)));
  }
}

function withRemainingLife(response: TokenResponse, expiresAt: number | null, now: number): TokenResponse {
  if (expiresAt === null) return response;
  return { ...response, expires_in: Math.floor((expiresAt - now) / 1000) };
}
