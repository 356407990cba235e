// The matcalc playground: the engine (matcalc.wasm, web/crate) answers the
// CLI's own command lines; this file only calls it and renders what it
// prints: answers with KaTeX, the `steps` Markdown with marked + KaTeX, the
// graph's DOT with Graphviz compiled to WebAssembly (viz.js).
import katex from "./vendor/katex/katex.mjs";
import { marked } from "./vendor/marked.esm.js";
import { instance as vizInstance } from "./vendor/viz.js";

const $ = (id) => document.getElementById(id);
let wasmModule = null;
let engine = null;
let viz = null;

// The engine's imports: egg's timing crate (quanta) links the browser's
// clock through wasm-bindgen's placeholders, but matcalc runs egg on a
// frozen mock clock and never calls them. Each is a stub that throws, so a
// call would be reported, never silently answered.
function imports(module) {
  const stub = new Proxy({}, {
    get: (_, name) => () => { throw new Error(`matcalc.wasm called the unexpected import ${String(name)}`); },
  });
  const out = {};
  for (const i of WebAssembly.Module.imports(module)) out[i.module] = stub;
  return out;
}

async function startEngine() {
  engine = (await WebAssembly.instantiate(wasmModule, imports(wasmModule))).exports;
}

// One command line, as `matcalc ARGS...` would run it: {stdout, stderr, code}.
// A trap (the browser's stack exhausted by a deeply nested input, or a bug)
// leaves the instance unusable, so a fresh one is started.
async function call(args) {
  const bytes = new TextEncoder().encode(JSON.stringify(args));
  try {
    const ptr = engine.mc_alloc(bytes.length);
    new Uint8Array(engine.memory.buffer, ptr, bytes.length).set(bytes);
    const reply = engine.mc_run(ptr, bytes.length);
    const len = engine.mc_reply_len();
    return JSON.parse(new TextDecoder().decode(new Uint8Array(engine.memory.buffer, reply, len)));
  } catch (e) {
    await startEngine();
    const deep = e instanceof RangeError;
    const message = deep
      ? "the input is nested too deeply for the browser's stack (limit: browser stack); the command-line matcalc, which has a larger stack, can answer it"
      : `matcalc stopped unexpectedly (${e}); please report this input`;
    const kind = deep ? "limit" : "internal";
    const doc = { version: 1, error: { kind, message, notes: [], line: null, column: null } };
    return { stdout: JSON.stringify(doc), stderr: `error[${kind}]: ${message}\n`, code: 2 };
  }
}

// Typesetting is for a reader: a formula longer than this (a 1000-layer
// net's gradient) is shown as its LaTeX source, and a derivation with more
// formulas than MAX_TYPESET_STEPS as its Markdown source. KaTeX would take
// minutes on them and nobody reads them typeset.
const MAX_TYPESET = 20000;
const MAX_TYPESET_STEPS = 2000;

function math(latex, display) {
  if (latex.length > MAX_TYPESET) {
    return `<pre class="untypeset" title="longer than ${MAX_TYPESET} characters: not typeset">${escapeHtml(latex)}</pre>`;
  }
  return katex.renderToString(latex, { displayMode: display, throwOnError: false });
}

// Let the browser paint what is done before the next stage.
const paint = () => new Promise((resolve) => setTimeout(resolve, 0));

// Markdown with TeX: the math is set aside before marked sees it (marked
// would read `_` and `\\` as Markdown) and typeset afterwards.
function markdownWithMath(md) {
  const formulas = (md.match(/\$/g) || []).length / 2;
  if (formulas > MAX_TYPESET_STEPS) {
    return `<p>This derivation has ${Math.round(formulas)} formulas, more than this page typesets (limit: ${MAX_TYPESET_STEPS}); its Markdown source:</p><pre class="untypeset">${escapeHtml(md)}</pre>`;
  }
  const parts = [];
  const held = md.replace(/\$\$([\s\S]+?)\$\$|\$([^$\n]+?)\$/g, (_, display, inline) => {
    parts.push(display !== undefined ? math(display, true) : math(inline, false));
    return `@@MATH${parts.length - 1}@@`;
  });
  return marked.parse(held).replace(/@@MATH(\d+)@@/g, (_, i) => parts[Number(i)]);
}

// The UTF-16 index of 1-based (line, column) as matcalc counts them
// (lines end at \n, \r\n or a lone \r; columns count characters).
function indexOf(text, line, column) {
  let l = 1, c = 1, i = 0;
  while (i < text.length && (l < line || (l === line && c < column))) {
    const ch = text.codePointAt(i);
    const width = ch > 0xffff ? 2 : 1;
    if (ch === 10 || (ch === 13 && text[i + 1] !== "\n")) { l += 1; c = 1; } else if (ch !== 13) { c += 1; }
    i += width;
  }
  return i;
}

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]);
}

function highlight(text, start, end) {
  const h = $("highlight");
  if (start === null) { h.textContent = ""; return; }
  end = Math.max(end, start + 1);
  h.innerHTML = escapeHtml(text.slice(0, start)) + "<mark>" + escapeHtml(text.slice(start, end) || " ") +
    "</mark>" + escapeHtml(text.slice(end)) + "\n";
}

function clearResults() {
  for (const id of ["result", "notes", "steps", "graph", "error", "verdict", "diagnosis", "expected"]) $(id).textContent = "";
  $("wrt").textContent = "";
  highlight("", null, null);
}

function showError(reply, text) {
  let doc = null;
  try { doc = JSON.parse(reply.stdout); } catch { /* not JSON: the rendering alone */ }
  const e = doc && doc.error;
  $("error").textContent = reply.stderr || (e ? `${e.kind}: ${e.message}` : "error");
  if (e && e.line !== null && e.source !== "<answer>") {
    const start = indexOf(text, e.line, e.column);
    const end = e.end_line !== null && e.end_line !== undefined ? indexOf(text, e.end_line, e.end_column) : start + 1;
    highlight(text, start, end);
  }
}

// Graphviz lays out a graph of a few hundred nodes in well under a second
// in the browser; a 1000-layer net would take minutes and gigabytes.
const MAX_DRAWN_NODES = 400;

function drawGraph(dot) {
  const nodes = (dot.match(/^\s*n\d+ \[/gm) || []).length;
  if (nodes > MAX_DRAWN_NODES) {
    $("graph").textContent = `The graph has ${nodes} nodes, more than this page draws (limit: ${MAX_DRAWN_NODES} drawn nodes); \`matcalc graph\` writes it for Graphviz.`;
    return;
  }
  $("graph").append(viz.renderSVGElement(dot));
}

let runs = 0;
let lastRunText = null;
async function run() {
  const t0 = performance.now();
  const text = $("problem").value;
  lastRunText = text;
  document.body.dataset.busy = "true";
  clearResults();
  try {
    await derive(text, t0);
  } catch (e) {
    $("error").textContent = `the page failed: ${e}`;
  } finally {
    runs += 1;
    document.body.dataset.runs = String(runs);
    document.body.dataset.busy = "false";
    $("status").textContent = `${Math.round(performance.now() - t0)} ms`;
  }
}

async function derive(text, t0) {
  const reply = await call(["grad", "-e", text, "--format", "json"]);
  if (reply.code === 2) {
    showError(reply, text);
    return;
  }
  const doc = JSON.parse(reply.stdout);
  for (const r of doc.results) {
    const line = `${r.query} = ${r.latex}`;
    const div = document.createElement("div");
    div.className = "answer";
    div.dataset.latex = line;
    div.dataset.of = r.of;
    div.dataset.wrt = r.wrt;
    div.innerHTML = math(line, true);
    $("result").append(div);
    const opt = document.createElement("option");
    opt.value = r.wrt;
    opt.dataset.of = r.of;
    opt.dataset.wrt = r.wrt;
    opt.textContent = `${r.query}  (of ${r.of}, with respect to ${r.wrt})`;
    $("wrt").append(opt);
  }
  $("wrt").selectedIndex = doc.results.length - 1;
  $("notes").textContent = doc.notes.join(" ");
  document.body.dataset.answerMs = String(Math.round((performance.now() - t0) * 10) / 10);
  await paint();
  const steps = await call(["steps", "-e", text, "--format", "markdown"]);
  $("steps").innerHTML = steps.code === 2 ? `<pre>${escapeHtml(steps.stderr)}</pre>` : markdownWithMath(steps.stdout);
  await paint();
  const graph = await call(["graph", "-e", text, "--format", "dot"]);
  if (graph.code === 2) {
    $("graph").textContent = graph.stderr;
  } else {
    drawGraph(graph.stdout);
  }
}

let grades = 0;
async function grade() {
  const text = $("problem").value;
  // The queries offered are the last run's: a changed problem runs again.
  if (!$("wrt").value || text !== lastRunText) await run();
  for (const id of ["verdict", "diagnosis", "expected"]) $(id).textContent = "";
  $("verdict").className = "";
  const args = ["grade", "-e", text, "--answer", $("answer").value, "--format", "json"];
  const chosen = $("wrt").selectedOptions[0];
  if (chosen) args.push("--of", chosen.dataset.of, "--wrt", chosen.dataset.wrt);
  const reply = await call(args);
  let doc = null;
  try { doc = JSON.parse(reply.stdout); } catch { /* handled below */ }
  if (reply.code === 2 || !doc || doc.error) {
    const message = doc && doc.error ? doc.error.message : reply.stderr;
    $("verdict").textContent = `error: ${message}`;
    $("verdict").className = "wrong";
    $("diagnosis").textContent = reply.stderr;
  } else {
    const how = { symbolic: "proved symbolically", numeric: "decided numerically", shape: "decided by shapes", shapes: "decided by shapes", names: "decided by names" }[doc.method] || doc.method;
    $("verdict").textContent = `${doc.verdict} (${how})`;
    $("verdict").className = doc.verdict === "equivalent" ? "equivalent" : "wrong";
    if (doc.diagnosis) $("diagnosis").textContent = doc.diagnosis;
    if (doc.expected) $("expected").innerHTML = "Expected: " + math(doc.expected, false);
  }
  grades += 1;
  document.body.dataset.grades = String(grades);
}

async function loadExample(name) {
  const response = await fetch(`examples/${name}.tex`);
  $("problem").value = await response.text();
  await run();
}

async function main() {
  const [module, vizReady] = await Promise.all([
    WebAssembly.compileStreaming(fetch("matcalc.wasm")),
    vizInstance(),
  ]);
  wasmModule = module;
  viz = vizReady;
  await startEngine();
  $("run").addEventListener("click", run);
  $("grade").addEventListener("click", grade);
  $("problem").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
  $("problem").addEventListener("input", () => highlight("", null, null));
  $("answer").addEventListener("keydown", (e) => { if (e.key === "Enter") grade(); });
  for (const b of document.querySelectorAll(".example")) b.addEventListener("click", () => loadExample(b.dataset.example));
  $("run").disabled = false;
  $("grade").disabled = false;
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  $("error").textContent = `the engine did not load: ${e}`;
});
