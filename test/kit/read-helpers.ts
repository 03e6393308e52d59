/** What the kit's read-loop tests share: a connector context over a test client, and collecting a read's pages. */
import type { ConnectorContext, Page } from "../../connectors/kit/contract";
import type { HttpClient } from "../../connectors/kit/http";

export function readContext(http: HttpClient, signal = new AbortController().signal): ConnectorContext {
  return { http, signal, now: () => new Date("2025-01-01T00:00:00Z") };
}

export async function collect(pages: AsyncIterable<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
