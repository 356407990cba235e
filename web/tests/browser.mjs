// Browser tests of the playground: web/dist served from a local static
// server, driven in headless Chromium (Debian's, through playwright-core).
// Run by web/test.sh (and so by .ci/test) after web/build.sh.
import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const dist = path.join(root, "web", "dist");
const shots = path.join(root, "target", "web-screenshots");
fs.mkdirSync(shots, { recursive: true });

// The documented answer forms of the homework, by objective or variable:
// `documented.NAME = ['form', ...]` lines of the answer key (TOML literal
// strings, which have no escapes).
function documented() {
  const key = fs.readFileSync(path.join(root, "tests", "fixtures", "homework", "answer-key.toml"), "utf8");
  const out = {};
  let problem = null;
  for (const line of key.split("\n")) {
    const id = line.match(/^id = "(.*)"/);
    if (id) problem = id[1];
    const doc = line.match(/^documented\.(\w+) = \[(.*)\]$/);
    if (doc) {
      out[problem] ??= {};
      out[problem][doc[1]] = [...doc[2].matchAll(/'([^']*)'/g)].map((m) => m[1]);
    }
  }
  return out;
}

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".tex": "text/plain", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf" };
function serve() {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = path.join(dist, rel === "/" ? "index.html" : rel);
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const results = [];
async function test(name, f) {
  try {
    await f();
    results.push([name, "ok"]);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, "FAILED"]);
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}

// Put `text` in the problem box, press run, wait for that run to finish.
async function runProblem(page, text) {
  const before = Number(await page.evaluate(() => document.body.dataset.runs ?? "0"));
  await page.fill("#problem", text);
  const t0 = Date.now();
  // Clicked from a timer, so a long run does not hold up the click itself.
  await page.evaluate(() => setTimeout(() => document.getElementById("run").click(), 0));
  await page.waitForFunction((n) => Number(document.body.dataset.runs ?? "0") > n, before, { timeout: 60000 });
  return Date.now() - t0;
}

async function gradeAnswer(page, answer) {
  const before = Number(await page.evaluate(() => document.body.dataset.grades ?? "0"));
  await page.fill("#answer", answer);
  await page.click("#grade");
  await page.waitForFunction((n) => Number(document.body.dataset.grades ?? "0") > n, before, { timeout: 60000 });
  return page.textContent("#verdict");
}

const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
await page.goto(url);
await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 60000 });

const forms = documented();
const timings = {};
for (const problem of ["autoencoder", "gplvm", "swish-mlp"]) {
  await test(`${problem}: every rendered answer is a documented form`, async () => {
    const text = fs.readFileSync(path.join(root, "examples", `${problem}.tex`), "utf8");
    timings[problem] = await runProblem(page, text);
    timings[`${problem} (engine to rendered answer)`] = Number(await page.evaluate(() => document.body.dataset.answerMs));
    const answers = await page.$$eval("#result .answer", (els) =>
      els.map((e) => ({ latex: e.dataset.latex, of: e.dataset.of, wrt: e.dataset.wrt })));
    assert.ok(answers.length > 0, "no answers rendered");
    for (const a of answers) {
      const split = a.latex.indexOf(" = ");
      assert.ok(split > 0, `no "query = answer" in ${a.latex}`);
      const [query, rhs] = [a.latex.slice(0, split), a.latex.slice(split + 3)];
      // The key writes some brackets \\left( \\right); the same form without them.
      const plain = (s) => s.replaceAll("\\left", "").replaceAll("\\right", "");
      assert.ok(query.includes(`{${a.wrt}}`) || query.includes(a.wrt), `query ${query} does not name ${a.wrt}`);
      const allowed = forms[problem][a.of] ?? forms[problem][a.wrt];
      assert.ok(allowed, `no documented form for ${a.of} / ${a.wrt}`);
      assert.ok(allowed.map(plain).includes(plain(rhs)), `${a.latex} is not among ${JSON.stringify(allowed)}`);
    }
    assert.equal(await page.locator(".katex-error").count(), 0, "KaTeX reported an error");
    assert.ok(await page.locator("#result .katex").count() >= answers.length, "answers not typeset");
    assert.ok(await page.locator("#steps .katex").count() > 5, "steps not typeset");
    assert.ok((await page.textContent("#steps")).includes("Answer"), "steps have no answer section");
    assert.equal(await page.locator("#graph svg").count(), 1, "no graph drawn");
    assert.equal(await page.textContent("#error"), "");
    await page.screenshot({ path: path.join(shots, `${problem}.png`), fullPage: true });
  });
}

await test("grading: a documented form is equivalent, a wrong answer is not, an unreadable one is an error", async () => {
  const text = fs.readFileSync(path.join(root, "examples", "autoencoder.tex"), "utf8");
  await runProblem(page, text);
  const right = forms.autoencoder.W[1];
  assert.match(await gradeAnswer(page, right), /^equivalent/);
  // One of the two paths: the transposed path is missing.
  const onePath = right.split(" + ")[0];
  assert.match(await gradeAnswer(page, onePath), /^not equivalent/);
  assert.match(await gradeAnswer(page, "W x x^T"), /^(not equivalent|shape mismatch)/);
  assert.match(await gradeAnswer(page, "W (x"), /^error:/);
  assert.equal(await page.locator(".katex-error").count(), 0);
  await page.screenshot({ path: path.join(shots, "grade.png"), fullPage: true });
});

await test("grading picks the selected query", async () => {
  const text = fs.readFileSync(path.join(root, "examples", "gplvm.tex"), "utf8");
  await runProblem(page, text);
  const options = await page.$$eval("#wrt option", (os) => os.map((o) => [o.value, o.dataset.of]));
  assert.deepEqual(options, [["X", "L_1"], ["X", "L_2"], ["X", "L"]]);
  assert.equal(await page.$eval("#wrt", (s) => s.selectedIndex), 2, "the last query is not the default");
  await page.selectOption("#wrt", { index: 0 });
  assert.match(await gradeAnswer(page, forms.gplvm.L_1[0]), /^equivalent/);
  assert.match(await gradeAnswer(page, forms.gplvm.L_2[0]), /^not equivalent/);
});

await test("a shape error is shown with its span highlighted, and earlier results are cleared", async () => {
  const good = fs.readFileSync(path.join(root, "examples", "autoencoder.tex"), "utf8");
  await runProblem(page, good);
  assert.ok(await page.locator("#result .answer").count() > 0);
  await runProblem(page, "x \\in \\mathbb{R}^n\nA \\in \\mathbb{R}^{m \\times m}\nf = x^T A x\n\\nabla_x f");
  const error = await page.textContent("#error");
  assert.match(error, /shape error/);
  assert.match(error, /m × m/);
  assert.equal(await page.locator("#result .answer").count(), 0, "an earlier answer is still shown");
  assert.equal(await page.locator("#graph svg").count(), 0, "an earlier graph is still shown");
  const marked = await page.textContent("#highlight mark");
  assert.ok(marked.includes("x^T A"), `highlighted ${JSON.stringify(marked)}`);
  await page.screenshot({ path: path.join(shots, "shape-error.png"), fullPage: true });
});

await test("deep inputs are answered within the browser's stack: a 1000-layer net, a sum of 2000 terms", async () => {
  const net = ["x \\in \\mathbb{R}^n", "A \\in \\mathbb{R}^{n \\times n}", "h_0 = x"];
  for (let i = 1; i <= 1000; i++) net.push(`h_{${i}} = \\tanh(A h_{${i - 1}})`);
  net.push("f = \\|h_{1000}\\|^2", "\\nabla_A f");
  const names = Array.from({ length: 2000 }, (_, i) => `a_{${i + 1}}`);
  const sum = [`${names.join(", ")}, x \\in \\mathbb{R}^{n}`,
    `f = ${names.map((a, i) => `${i % 3 === 2 ? "-" : "+"} \\sin(${a}^T x)`).join(" ").slice(2)}`, "\\nabla_x f"];
  for (const text of [net.join("\n"), sum.join("\n")]) {
    await runProblem(page, text);
    assert.equal(await page.textContent("#error"), "");
    assert.equal(await page.locator("#result .answer").count(), 1);
    assert.ok((await page.textContent("#graph")).includes("more than this page draws"));
  }
  // The engine still answers afterwards.
  await runProblem(page, fs.readFileSync(path.join(root, "examples", "gplvm.tex"), "utf8"));
  assert.equal(await page.locator("#result .answer").count(), 3);
});

await test("no errors in the browser console", async () => {
  assert.deepEqual(consoleErrors, []);
});

const wasmBytes = fs.statSync(path.join(dist, "matcalc.wasm")).size;
const pageBytes = fs.readdirSync(dist, { recursive: true })
  .map((f) => path.join(dist, f)).filter((f) => fs.statSync(f).isFile())
  .reduce((n, f) => n + fs.statSync(f).size, 0);
console.log(`matcalc.wasm ${(wasmBytes / 1e6).toFixed(2)} MB; the whole page with fonts ${(pageBytes / 1e6).toFixed(2)} MB`);
for (const [k, v] of Object.entries(timings)) console.log(`time from run to rendered page, ${k}: ${v} ms`);
await browser.close();
server.close();
const failed = results.filter(([, r]) => r !== "ok").length;
console.log(`${results.length - failed} passed, ${failed} failed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
