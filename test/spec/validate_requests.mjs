#!/usr/bin/env node
// Checks recorded Qase API requests against the official Qase OpenAPI spec (qase-tms/specs).
//
// README
// ------
//   cd test/spec && npm install          # ajv, ajv-formats, js-yaml (pinned; node_modules is not committed)
//   node validate_requests.mjs REQUESTS.jsonl [--spec-root DIR] [--strict-properties]
//                                             [--expect-violations N] [--quiet]
//
// REQUESTS.jsonl: one JSON object per line, the emulator's requests.jsonl format:
//   {"method":"POST","path":"/v2/DEMO/run/7/results","body":{...}|null, "system":"qase", "status":202, ...}
// Only Qase requests are checked: entries with "system":"qase", and entries without a system (or
// "system":"other") whose path starts with /v1 or /v2; "qasphere" entries are skipped. A path prefix before /v1 or /v2 (an API base
// with a path, e.g. /tms/v1/...) is tolerated; a query string is checked against the declared
// query parameters.
//
// For each request the operation is looked up (method + path template from v1/src.yaml or
// v2/src.yaml, literal segments winning over parameters), then checked:
//   - path parameters against their schemas (project code 2..10 characters, integer ids, ...);
//   - declared query parameters;
//   - the JSON body against the operation's requestBody schema (OpenAPI 3.0: `nullable`, int32/
//     int64/double formats, relative cross-file $refs, $ref siblings ignored); a missing required
//     body and a body sent to an operation that takes none are violations; multipart bodies are
//     not checked (the log does not hold them);
//   - limits the spec states in prose: at most 200 results per bulk request and at most 4194304
//     characters of execution.error_context per batch (413 in results_bulk.yaml), and testops_id
//     not combined with testops_ids (ResultCreate.yaml descriptions).
// --strict-properties also reports object properties the spec does not declare (catches typos
// such as "testops_id" vs "testops_ids"; not meant for allOf-composed schemas).
//
// Output: one line per violation ("REQUESTS.jsonl:LINE METHOD PATH: WHERE: PROBLEM"), then
// "N requests validated, M violations". Exit status 1 when there are violations, 2 on usage or
// spec loading errors. --expect-violations N (self-test mode) exits 0 only when exactly N
// violations were found, and, for entries carrying "expect": K, exactly K on that line:
//   node validate_requests.mjs selftest.jsonl --expect-violations 18
//
// The reporter's own requests: the Qase backend unit tests dump every request they build when
// GTEST_TMS_DUMP_QASE_REQUESTS names a file (emulator end-to-end logs work the same way):
//   rm -f /tmp/qase.jsonl
//   GTEST_TMS_DUMP_QASE_REQUESTS=/tmp/qase.jsonl BUILD/test/gtest_tms_unit_tests --gtest_filter='Qase*'
//   node test/spec/validate_requests.mjs /tmp/qase.jsonl --strict-properties
//
// Spec root default: qase/ beside this file, the official Qase spec copied unchanged (see
// qase/SOURCE.md for its origin and licence).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import yaml from 'js-yaml';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_BULK_RESULTS = 200;
const MAX_BATCH_ERROR_CONTEXT = 4194304;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// --- arguments ----------------------------------------------------------------------------------

function usage(message) {
  if (message) console.error(`validate_requests: ${message}`);
  console.error('usage: node validate_requests.mjs REQUESTS.jsonl [--spec-root DIR] [--strict-properties] ' +
                '[--expect-violations N] [--quiet]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = {
    input: null,
    specRoot: path.resolve(here, 'qase'),
    strictProperties: false,
    expect: null,
    quiet: false,
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--spec-root') {
      if (i + 1 >= argv.length) usage('--spec-root needs a directory');
      args.specRoot = path.resolve(argv[++i]);
    } else if (a === '--expect-violations') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) usage('--expect-violations needs a non-negative integer');
      args.expect = n;
    } else if (a === '--strict-properties') {
      args.strictProperties = true;
    } else if (a === '--quiet') {
      args.quiet = true;
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else if (args.input === null) {
      args.input = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (args.input === null) usage('no requests file given');
  return args;
}

// --- spec loading -------------------------------------------------------------------------------

class SpecError extends Error {}

const documents = new Map();  // file URL (no fragment) -> parsed YAML

function loadDocument(url) {
  const key = url.split('#')[0];
  if (!documents.has(key)) {
    const file = fileURLToPath(key);
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new SpecError(`cannot read spec file ${file}: ${e.message}`);
    }
    try {
      documents.set(key, yaml.load(text, { filename: file }));
    } catch (e) {
      throw new SpecError(`cannot parse spec file ${file}: ${e.message}`);
    }
  }
  return documents.get(key);
}

function pointerGet(doc, fragment, where) {
  if (!fragment || fragment === '/') return doc;
  let node = doc;
  for (const raw of fragment.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw new SpecError(`unresolvable $ref fragment #${fragment} in ${where}`);
    }
    node = node[key];
  }
  return node;
}

// Follows $ref chains for non-schema objects (path items, parameters); returns {node, base}.
function deref(node, base) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    const target = new URL(node.$ref, base).href;
    if (seen.has(target)) throw new SpecError(`$ref cycle at ${target}`);
    seen.add(target);
    const [file, fragment] = target.split('#');
    node = pointerGet(loadDocument(file), fragment, file);
    base = file;
  }
  return { node, base };
}

// OpenAPI 3.0 schema -> JSON Schema (draft-07) with absolute $refs.
function convertSchema(node, base, opts, refs) {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n, base, opts, refs));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    // OpenAPI 3.0: siblings of $ref are ignored.
    const target = new URL(node.$ref, base).href;
    refs.add(target.split('#')[0]);
    return { $ref: target };
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator' || key === 'xml' ||
        key === 'externalDocs' || key === 'deprecated') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = {};
      for (const [name, sub] of Object.entries(value)) out.properties[name] = convertSchema(sub, base, opts, refs);
    } else if (typeof value === 'object') {
      out[key] = convertSchema(value, base, opts, refs);
    } else {
      out[key] = value;
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (out.type === undefined && (out.allOf || out.oneOf || out.anyOf)) {
      return { anyOf: [{ type: 'null' }, out] };
    }
  }
  if (opts.strictProperties && out.properties && out.additionalProperties === undefined &&
      !out.allOf && !out.oneOf && !out.anyOf) {
    out.additionalProperties = false;
  }
  return out;
}

function makeAjv() {
  const ajv = new Ajv({ allErrors: true, strict: false, strictTypes: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (x) => Number.isInteger(x) && x >= -2147483648 && x <= 2147483647 });
  ajv.addFormat('int64', { type: 'number', validate: (x) => Number.isInteger(x) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('binary', { type: 'string', validate: () => true });
  ajv.addFormat('byte', { type: 'string', validate: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) });
  return ajv;
}

class Spec {
  constructor(root, opts) {
    this.opts = opts;
    this.ajv = makeAjv();
    this.added = new Set();
    this.compiled = new Map();
    this.routes = [];
    for (const version of ['v1', 'v2']) {
      const file = path.join(root, 'testops-api', version, 'src.yaml');
      if (!fs.existsSync(file)) throw new SpecError(`no ${file} (is --spec-root the specs/qase folder?)`);
      const url = pathToFileURL(file).href;
      const doc = loadDocument(url);
      for (const [template, rawItem] of Object.entries(doc.paths ?? {})) {
        const { node: item, base } = deref(rawItem, url);
        const names = [];
        const pattern = template.split('/').map((seg) => {
          const m = /^\{([^}]+)\}$/.exec(seg);
          if (m) {
            names.push(m[1]);
            return '([^/]+)';
          }
          return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }).join('/');
        const literal = template.split('/').filter((s) => s && !s.startsWith('{')).length;
        this.routes.push({ version, template, regex: new RegExp(`^${pattern}$`), names, literal, item, base });
      }
    }
    this.routes.sort((a, b) => b.literal - a.literal);
  }

  // Adds every schema file reachable from `refs` to Ajv, each with its file URL as $id.
  addReferenced(refs) {
    const queue = [...refs];
    while (queue.length) {
      const file = queue.pop();
      if (this.added.has(file)) continue;
      this.added.add(file);
      const more = new Set();
      const schema = convertSchema(loadDocument(file), file, this.opts, more);
      this.ajv.addSchema({ ...schema, $id: file });
      for (const f of more) if (!this.added.has(f)) queue.push(f);
    }
  }

  compile(key, schema, base) {
    if (!this.compiled.has(key)) {
      const refs = new Set();
      const converted = convertSchema(schema, base, this.opts, refs);
      this.addReferenced(refs);
      try {
        this.compiled.set(key, this.ajv.compile(converted));
      } catch (e) {
        throw new SpecError(`cannot compile schema ${key}: ${e.message}`);
      }
    }
    return this.compiled.get(key);
  }

  // {route, params} candidates for a version-relative path, most specific first.
  match(version, rest) {
    const out = [];
    for (const route of this.routes) {
      if (route.version !== version) continue;
      const m = route.regex.exec(rest);
      if (!m) continue;
      const params = {};
      route.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]);
        } catch {
          params[n] = m[i + 1];
        }
      });
      out.push({ route, params });
    }
    return out;
  }
}

// --- checking -----------------------------------------------------------------------------------

function dotted(instancePath, prefix) {
  const p = instancePath.replace(/^\//, '').split('/').filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
  return [prefix, p].filter(Boolean).join('.') || prefix || '(root)';
}

function ajvMessages(errors, prefix) {
  return (errors ?? []).map((e) => {
    let where = dotted(e.instancePath, prefix);
    let msg = e.message ?? 'is invalid';
    if (e.keyword === 'required') where = `${where === '(root)' ? '' : `${where}.`}${e.params.missingProperty}`;
    if (e.keyword === 'additionalProperties') msg = `property "${e.params.additionalProperty}" is not in the spec`;
    if (e.keyword === 'enum') msg = `${msg}: ${JSON.stringify(e.params.allowedValues)}`;
    return `${where}: ${msg}`;
  });
}

function operationParameters(route, operation) {
  const out = new Map();
  for (const [list, base] of [[route.item.parameters, route.base], [operation.parameters, route.base]]) {
    for (const raw of list ?? []) {
      const { node, base: pbase } = deref(raw, base);
      out.set(`${node.in}:${node.name}`, { param: node, base: pbase });
    }
  }
  return [...out.values()];
}

// Path and query values arrive as text; integers and booleans are coerced before validation.
function coerce(value, schema) {
  const type = schema?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function checkRequest(spec, entry) {
  const problems = [];
  const method = String(entry.method ?? '').toLowerCase();
  const [rawPath, query = ''] = String(entry.path ?? '').split('?');
  const vm = /^(.*?)\/(v1|v2)(\/.*)?$/.exec(rawPath);
  if (!vm) return [`path: not under /v1 or /v2`];
  const version = vm[2];
  const rest = vm[3] ?? '/';
  const candidates = spec.match(version, rest);
  if (!candidates.length) return [`path: no ${version} path in the spec matches`];
  const chosen = candidates.find((c) => c.route.item[method]);
  if (!chosen) {
    const allowed = new Set(candidates.flatMap((c) => HTTP_METHODS.filter((m) => c.route.item[m])));
    return [`method: ${method.toUpperCase()} is not defined for ${version}${candidates[0].route.template} ` +
            `(spec has ${[...allowed].map((m) => m.toUpperCase()).join(', ') || 'none'})`];
  }
  const { route, params } = chosen;
  const operation = route.item[method];
  const opName = `${version} ${method.toUpperCase()} ${route.template}`;

  // Parameters
  const declared = operationParameters(route, operation);
  const queryValues = new URLSearchParams(query);
  for (const { param, base } of declared) {
    let value;
    if (param.in === 'path') {
      value = params[param.name];
    } else if (param.in === 'query') {
      if (!queryValues.has(param.name)) {
        if (param.required) problems.push(`query parameter ${param.name}: required`);
        continue;
      }
      value = queryValues.get(param.name);
    } else {
      continue;  // header/cookie parameters are not in the log
    }
    if (value === undefined) {
      if (param.required) problems.push(`${param.in} parameter ${param.name}: missing`);
      continue;
    }
    const schema = deref(param.schema ?? {}, base).node;
    const validate = spec.compile(`${opName} param ${param.in}:${param.name}`, param.schema ?? {}, base);
    if (!validate(coerce(value, schema))) {
      for (const m of ajvMessages(validate.errors, `${param.in} parameter ${param.name}`)) {
        problems.push(m.replace(/^([^:]*): /, `$1 (${JSON.stringify(value)}): `));
      }
    }
  }
  for (const name of Object.keys(params)) {
    if (!declared.some(({ param }) => param.in === 'path' && param.name === name)) {
      problems.push(`path parameter ${name}: not declared by ${opName}`);
    }
  }

  // Body
  const body = entry.body === undefined ? null : entry.body;
  const requestBody = operation.requestBody ? deref(operation.requestBody, route.base) : null;
  if (!requestBody) {
    if (body !== null && !(typeof body === 'string' && body === '')) {
      problems.push(`body: ${opName} takes no request body`);
    }
    return problems;
  }
  const content = requestBody.node.content ?? {};
  const jsonMedia = content['application/json'];
  if (!jsonMedia) return problems;  // multipart etc.: not recorded as JSON
  if (body === null) {
    if (requestBody.node.required) problems.push('body: required JSON body is missing');
    return problems;
  }
  if (typeof body === 'string') {
    problems.push('body: not valid JSON');
    return problems;
  }
  const validate = spec.compile(`${opName} body`, jsonMedia.schema ?? {}, requestBody.base);
  if (!validate(body)) problems.push(...ajvMessages(validate.errors, ''));

  if (operation.operationId === 'create-results-v2' && body && Array.isArray(body.results)) {
    if (body.results.length > MAX_BULK_RESULTS) {
      problems.push(`results: ${body.results.length} results, the spec allows at most ${MAX_BULK_RESULTS} per request (413)`);
    }
    let context = 0;
    body.results.forEach((r) => {
      const ec = r?.execution?.error_context;
      if (typeof ec === 'string') context += [...ec].length;
    });
    if (context > MAX_BATCH_ERROR_CONTEXT) {
      problems.push(`results: execution.error_context totals ${context} characters, over ${MAX_BATCH_ERROR_CONTEXT} (413)`);
    }
  }
  const results = operation.operationId === 'create-results-v2' ? (body?.results ?? [])
    : operation.operationId === 'create-result-v2' ? [body] : [];
  if (Array.isArray(results)) {
    results.forEach((r, i) => {
      if (r && typeof r === 'object' && r.testops_id != null && r.testops_ids != null) {
        const where = operation.operationId === 'create-results-v2' ? `results.${i}.` : '';
        problems.push(`${where}testops_id: cannot be specified together with testops_ids`);
      }
    });
  }
  return problems;
}

function isQase(entry) {
  if (entry.system === 'qase') return true;
  if (entry.system !== undefined && entry.system !== null && entry.system !== 'other') return false;
  return /^(\/[^?]*)?\/v[12](\/|$|\?)/.test(String(entry.path ?? ''));
}

// --- main ---------------------------------------------------------------------------------------

function main() {
  const args = parseArgs(process.argv.slice(2));
  let spec;
  try {
    spec = new Spec(args.specRoot, { strictProperties: args.strictProperties });
  } catch (e) {
    console.error(`validate_requests: ${e.message}`);
    process.exit(2);
  }
  let text;
  try {
    text = fs.readFileSync(args.input, 'utf8');
  } catch (e) {
    console.error(`validate_requests: cannot read ${args.input}: ${e.message}`);
    process.exit(2);
  }
  const label = path.basename(args.input);
  let checked = 0;
  let violations = 0;
  const mismatches = [];  // self-test: lines whose "expect" count differs
  const report = (line) => {
    ++violations;
    if (!args.quiet) console.log(line);
  };
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const where = `${label}:${index + 1}`;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch (e) {
      report(`${where}: not a JSON line: ${e.message}`);
      return;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      report(`${where}: not a JSON object`);
      return;
    }
    if (!isQase(entry)) return;
    ++checked;
    let problems;
    try {
      problems = checkRequest(spec, entry);
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      console.error(`validate_requests: ${e.message}`);
      process.exit(2);
    }
    for (const p of problems) report(`${where} ${String(entry.method).toUpperCase()} ${entry.path}: ${p}`);
    if (args.expect !== null && Number.isInteger(entry.expect) && entry.expect !== problems.length) {
      mismatches.push(`${where}: expected ${entry.expect} violations, found ${problems.length} (${entry.note ?? ''})`);
    }
  });
  console.log(`${checked} requests validated, ${violations} violations`);
  if (args.expect !== null) {
    for (const m of mismatches) console.log(`self-test: ${m}`);
    if (violations !== args.expect || mismatches.length) {
      console.log(`self-test FAILED: expected ${args.expect} violations, found ${violations}`);
      process.exit(1);
    }
    console.log('self-test passed');
    process.exit(0);
  }
  process.exit(violations > 0 ? 1 : 0);
}

main();
