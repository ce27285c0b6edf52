#!/usr/bin/env node
// Checks Kubernetes manifests against the Kubernetes API's schemas, offline.
//
//   node deploy/lib/validate-k8s.cjs FILE.yaml...     (deploy/validate-k8s.sh runs it)
//
// Two checks per object, both from the npm package kubernetes-models (its
// models and validators are generated from the Kubernetes OpenAPI schema):
//   1. schema: the model's validate() (generated JSON-schema validators):
//      required fields, types, enums, formats;
//   2. strict: TypeScript compiles every object as a literal of the model's
//      interface, which refuses unknown fields (a misspelt `readinesProbe`
//      would pass check 1) and wrong nesting.
// Also: every object has metadata.name, and the names are unique per kind
// and namespace.  Exit status 1 on any error.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const deployDir = path.resolve(__dirname, "..");
const modelsDir = path.join(deployDir, "node_modules", "kubernetes-models");

function modelPath(apiVersion, kind) {
  // "v1" -> v1/Kind; "apps/v1" -> apps/v1/Kind; "networking.k8s.io/v1" likewise
  const rel = path.join(apiVersion, kind);
  if (!fs.existsSync(path.join(modelsDir, rel + ".js"))) return null;
  return "kubernetes-models/" + rel;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: validate-k8s.cjs FILE.yaml...");
  process.exit(2);
}

let errors = 0;
const fail = (where, msg) => {
  errors++;
  console.error(`${where}: ${msg}`);
};
const objects = [];
const seen = new Map();
for (const file of files) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { prettyErrors: true });
  docs.forEach((doc, i) => {
    const where = `${path.relative(process.cwd(), file)}#${i + 1}`;
    if (doc.errors.length) {
      doc.errors.forEach((e) => fail(where, "YAML: " + e.message));
      return;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) return;
    if (typeof obj !== "object" || Array.isArray(obj)) {
      fail(where, "not an object");
      return;
    }
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
      fail(where, "apiVersion and kind are required");
      return;
    }
    const name = obj.metadata && obj.metadata.name;
    const label = `${where} ${kind}/${name}`;
    if (!name) fail(label, "metadata.name is required");
    const key = `${apiVersion} ${kind} ${(obj.metadata && obj.metadata.namespace) || ""} ${name}`;
    if (seen.has(key)) fail(label, `the same object as ${seen.get(key)}`);
    seen.set(key, where);
    const mod = modelPath(apiVersion, kind);
    if (!mod) {
      fail(label, `unknown apiVersion/kind ${apiVersion} ${kind}`);
      return;
    }
    const Model = require(mod)[kind];
    try {
      new Model(obj).validate();
    } catch (e) {
      fail(label, "schema: " + e.message);
    }
    objects.push({ label, mod, kind, obj });
  });
}

// The strict check: one TypeScript file, one typed constant per object.
if (objects.length) {
  const ts = require("typescript");
  const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "gy-k8s-"));
  const src = path.join(dir, "manifests.ts");
  const lines = [];
  const where = [];
  objects.forEach((o, i) => {
    lines.push(`import type { I${o.kind} as T${i} } from ${JSON.stringify(o.mod)};`);
  });
  objects.forEach((o, i) => {
    where.push([lines.length + 1, o.label]);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o.obj, null, 1)};`);
    lines.push(...[]);
  });
  // Line numbers of each constant: recount after joining (objects span lines).
  const text = lines.join("\n");
  fs.writeFileSync(src, text);
  const starts = [];
  text.split("\n").forEach((l, n) => {
    const m = /^export const o(\d+):/.exec(l);
    if (m) starts.push([n, objects[Number(m[1])].label]);
  });
  const program = ts.createProgram([src], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2020,
    baseUrl: deployDir,
    paths: { "*": [path.join(deployDir, "node_modules", "*")] },
    typeRoots: [],
    types: [],
  });
  const diags = ts.getPreEmitDiagnostics(program);
  for (const d of diags) {
    let label = "manifests";
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      for (const [n, l] of starts) if (n <= line) label = l;
      const snippet = d.file.text.split("\n")[line].trim();
      fail(label, "strict: " + ts.flattenDiagnosticMessageText(d.messageText, " ") + ` (at ${snippet})`);
    } else {
      fail(label, "strict: " + ts.flattenDiagnosticMessageText(d.messageText, " "));
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

const kinds = {};
objects.forEach((o) => (kinds[o.kind] = (kinds[o.kind] || 0) + 1));
const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ");
if (errors) {
  console.error(`validate-k8s: ${errors} error(s) in ${objects.length} object(s)`);
  process.exit(1);
}
console.log(`validate-k8s: ${objects.length} objects valid (${summary})`);
