/**
 * An injectable fetch for kit tests: records every request exactly as it would leave the Worker and answers from a
 * handler, so tests assert both the behaviour and the requests sent.
 */
import { createHttpClient, type HttpClient, type HttpClientOptions } from "../../connectors/kit/http";

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type Handler = (request: SentRequest, signal: AbortSignal, index: number) => Response | Promise<Response>;

export function fakeFetch(handler: Handler) {
  const sent: SentRequest[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const request: SentRequest = {
      method: init?.method ?? "GET",
      url: String(input),
      headers,
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    sent.push(request);
    return handler(request, init?.signal ?? new AbortController().signal, sent.length - 1);
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

/** Answers the handlers in turn, one per request; a request beyond the script fails the test loudly. */
export function script(...steps: Handler[]): Handler {
  return (request, signal, index) => {
    const step = steps[index];
    if (!step) throw new Error(`unexpected request #${index + 1}: ${request.method} ${request.url}`);
    return step(request, signal, index);
  };
}

export function reply(status: number, body: unknown = {}, headers: Record<string, string> = {}): Handler {
  return () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** The way fetch fails when a connection is reset. */
export const reset: Handler = () => Promise.reject(new TypeError("Network connection lost."));

/** Never answers; rejects once the request is aborted (timeout or cancel), as a real fetch does. */
export const hang: Handler = (_request, signal) =>
  new Promise<Response>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(new DOMException("The operation was aborted.", "AbortError")));
  });

/** A development-mode client over a fake fetch, with recorded sleeps and a fixed jitter of 0.5. */
export function testClient(handler: Handler, options: Partial<HttpClientOptions> = {}): {
  http: HttpClient;
  sent: SentRequest[];
  sleeps: number[];
} {
  const { fetch, sent } = fakeFetch(handler);
  const sleeps: number[] = [];
  const http = createHttpClient({
    development: true,
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { http, sent, sleeps };
}

/** The settled error of a promise that must reject. */
export async function failure(promise: Promise<unknown>): Promise<Error & { kind?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { kind?: string; details?: Record<string, unknown> };
  }
  throw new Error("expected the promise to reject, but it resolved");
}
