/**
 * A self-contained reference page rendered from the OpenAPI document: no CDN script, so it works offline and
 * under a strict CSP.
 */
type Doc = ReturnType<typeof import("./openapi").openApiDocument>;

const escape = (s: unknown) => String(s ?? "").replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The little markdown the document's descriptions use: paragraphs, numbered lines, **bold** and `code`. */
function prose(text: string): string {
  const inline = (line: string) => escape(line).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/`([^`]+)`/g, "<code>$1</code>");
  return text
    .split(/\n\n+/)
    .map((block) => {
      const lines = block.split("\n");
      if (lines.every((line) => /^\d+\. /.test(line))) return `<ol>${lines.map((line) => `<li>${inline(line.replace(/^\d+\. /, ""))}</li>`).join("")}</ol>`;
      return `<p>${inline(lines.join(" "))}</p>`;
    })
    .join("");
}

const schemaDetails = (label: string, schema: unknown) => (schema ? `<details><summary>${escape(label)}</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>` : "");

export function docsPage(doc: Doc): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        summary: string;
        description?: string;
        tags: string[];
        requestBody?: unknown;
        responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
        parameters: Array<{ name: string; in: string }>;
      };
      const tag = op.tags[0] ?? "Other";
      const params = op.parameters.map((p) => `<code>${escape(p.name)}</code> <small>(${escape(p.in)})</small>`).join(", ");
      const codes = Object.entries(op.responses).map(([code, r]) => `<li><b>${escape(code)}</b> ${escape(r.description)}</li>`).join("");
      const body = op.requestBody ? schemaDetails("Request body schema", (op.requestBody as { content: Record<string, { schema: unknown }> }).content["application/json"]?.schema) : "";
      const success = Object.entries(op.responses).find(([code]) => code.startsWith("2"));
      const answer = success ? schemaDetails(`Response ${success[0]} schema`, success[1].content?.["application/json"]?.schema) : "";
      const section = `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3><p><b>${escape(op.summary)}</b></p>${prose(op.description ?? "")}${params ? `<p>Parameters: ${params}</p>` : ""}${body}${answer}<ul>${codes}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), section]);
    }
  }
  const toc = [...byTag.keys()].map((t) => `<a href="#${escape(t)}">${escape(t)}</a>`).join(" · ");
  const sections = [...byTag.entries()].map(([t, s]) => `<h2 id="${escape(t)}">${escape(t)}</h2>${s.join("")}`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}code{background:#f4f4f4;padding:0 .25rem}pre{background:#f7f7f7;padding:.5rem;overflow:auto}
.m{font:bold 12px monospace;padding:2px 6px;border-radius:3px;color:#fff}.get{background:#2b7}.post{background:#27c}.put{background:#c82}.delete{background:#c33}</style></head>
<body><h1>${escape(doc.info.title)}</h1>${prose(doc.info.description)}<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Errors are <code>{"error", "code", "request_id", "details"?}</code>.</p><p>${toc}</p>${sections}</body></html>`;
}
