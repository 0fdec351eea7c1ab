// Validates an AsyncAPI document with the AsyncAPI project's own parser (@asyncapi/parser, pinned in
// package-lock.json). Prints every diagnostic; exits 1 when any is an error.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];
const path = process.argv[2] ?? "../../docs/asyncapi.yaml";
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
const counts = [0, 0, 0, 0];
for (const d of diagnostics) {
  counts[d.severity] += 1;
  console.log(`${SEVERITY[d.severity]} ${d.code} at ${d.path.join(".") || "/"}: ${d.message}`);
}
const summary = SEVERITY.map((name, i) => `${counts[i]} ${name}s`).join(", ");
if (counts[0] > 0 || document === undefined) {
  console.log(`${path}: INVALID (${summary})`);
  process.exit(1);
}
console.log(
  `${path}: valid AsyncAPI ${document.version()} (${summary}; ` +
    `${document.channels().length} channels, ${document.operations().length} operations, ` +
    `${document.messages().length} messages)`,
);
