#!/usr/bin/env node
// The read side of the s3 loader alone, in Node: the kit's CSV parser (csvRows) and line splitter (lines) over an
// in-memory body cut in 64 KiB chunks, as a fetch body arrives. With --against <dir> (another checkout, e.g. the
// commit before a change) the same input goes through that tree's parsers too, in the same process, and the ratio is
// printed. Not part of npm test.
// Usage: node bench/s3-parse.mjs [--mb 100] [--against /path/to/other/checkout]
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { GENERATED_HEADER, generatedLine } from "../test/fakes/s3/fixtures.ts";
import { commandLine, root } from "./lib.mjs";

const cli = commandLine();
const MB = Number(cli.value("mb", 100));
const against = cli.value("against", "");
const CHUNK = 64 * 1024;

async function parsersOf(tree) {
  const dir = mkdtempSync(join(tmpdir(), "loaders-parse-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, `export { csvRows } from "${join(tree, "connectors/kit/csv.ts")}";\nexport { lines } from "${join(tree, "connectors/kit/streams.ts")}";\n`);
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile: join(dir, "out.mjs"), logLevel: "error" });
  const module = await import(pathToFileURL(join(dir, "out.mjs")).href);
  rmSync(dir, { recursive: true, force: true });
  return module;
}

function body(text) {
  const bytes = new TextEncoder().encode(text);
  return {
    bytes: bytes.length,
    stream: () => {
      let at = 0;
      return new ReadableStream({
        pull(controller) {
          if (at >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(at, at + CHUNK));
          at += CHUNK;
        },
      });
    },
  };
}

function csvText(mb, accent) {
  const lines = [GENERATED_HEADER];
  let bytes = 0;
  for (let i = 1; bytes < mb * 1_000_000; i++) {
    // Non-ASCII: the unquoted labels ("plain 1") get accents and a 3-byte character.
    const line = accent ? generatedLine(i).replace("plain", "plaîn Zoë ☃") : generatedLine(i);
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return `${lines.join("\n")}\n`;
}

async function time(fn) {
  const started = performance.now();
  const rows = await fn();
  return { rows, seconds: (performance.now() - started) / 1000 };
}

const trees = [["this tree", root], ...(against ? [["--against", against]] : [])];
const parsers = [];
for (const [label, tree] of trees) parsers.push({ label, ...(await parsersOf(tree)) });
for (const [name, accent] of [["ASCII", false], ["non-ASCII", true]]) {
  const input = body(csvText(MB, accent));
  console.log(`${name} CSV, ${(input.bytes / 1_000_000).toFixed(0)} MB in 64 KiB chunks`);
  const figures = {};
  // Each parser twice, alternating, the faster of its two runs kept: the first run in a process warms up shared code.
  for (const p of [...parsers, ...parsers]) {
    const csv = await time(async () => {
      let n = 0;
      for await (const row of p.csvRows(input.stream())) n += row.fields.length > 0 ? 1 : 0;
      return n;
    });
    const lines = await time(async () => {
      let n = 0;
      for await (const line of p.lines(input.stream())) n += line.text.length >= 0 ? 1 : 0;
      return n;
    });
    const best = figures[p.label];
    figures[p.label] = best ? { csv: best.csv.seconds < csv.seconds ? best.csv : csv, lines: best.lines.seconds < lines.seconds ? best.lines : lines } : { csv, lines };
  }
  for (const p of parsers) {
    for (const [kind, f] of [["csvRows", figures[p.label].csv], ["lines", figures[p.label].lines]]) {
      console.log(`  ${p.label.padEnd(10)} ${kind.padEnd(8)} ${(f.rows / f.seconds).toFixed(0).padStart(9)} rows/s ${(input.bytes / 1_000_000 / f.seconds).toFixed(1).padStart(7)} MB/s`);
    }
  }
  if (against) {
    const a = figures["this tree"];
    const b = figures["--against"];
    console.log(`  ratio this/against: csvRows ${(b.csv.seconds / a.csv.seconds).toFixed(2)}x, lines ${(b.lines.seconds / a.lines.seconds).toFixed(2)}x`);
  }
}
