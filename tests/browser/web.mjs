// The labeling page in a real browser (Debian's chromium, driven by
// playwright-core): a text DAgger run answered by clicks, keys, the filter,
// skip and undo; two labelers at once; a reload mid-round; mimic killed and
// restarted mid-round; a gridworld DAgger run answered by keys; an agent's
// corrections with edited arguments, and the box pre-filled with the
// learner's suggested ones; preference comparisons; a Box action
// (Pendulum's torque) by slider and number box. After each,
// the label log holds exactly the answers given, by whom they were given.
//
// usage: node web.mjs path/to/mimic   (MIMIC_SHOTS=DIR: screenshots there,
// docs/img to refresh the documentation's; CHROMIUM=path: the browser;
// ONLY=preferences: that part alone)
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const mimic = path.resolve(process.argv[2] || "");
const shots = process.env.MIMIC_SHOTS || "";
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
console.log("node " + process.version + ", playwright-core " +
  JSON.parse(fs.readFileSync(new URL("node_modules/playwright-core/package.json", import.meta.url))).version);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mimic-web-"));
let failed = false;
const procs = [];
function fail(msg) { throw new Error(msg); }
function assert(ok, msg) { if (!ok) fail(msg); }
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ---- data: a small support-ticket pool with gold labels ----
const gold = {
  a1: ["the card still has not been delivered", "card_arrival"],
  a2: ["how long does delivery of a card take", "card_arrival"],
  a3: ["where is my card, it has been two weeks", "card_arrival"],
  b1: ["I need a refund for an order", "refund"],
  b2: ["refund not showing in my account", "refund"],
  b3: ["can I get my money back", "refund"],
  c1: ["add money to my account with apple pay", "top_up"],
  c2: ["top up failed twice", "top_up"],
  c3: ["can I top up by cash", "top_up"],
  d1: ["card declined at a restaurant", "card_declined"],
  d2: ["why do payments with my card keep failing", "card_declined"],
  d3: ["the terminal refused my card", "card_declined"],
};
const byText = Object.fromEntries(Object.values(gold).map(([t, l]) => [t, l]));
const csv = (s) => (/[",]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
fs.writeFileSync(path.join(tmp, "pool.csv"), "id,text\n" +
  Object.entries(gold).map(([id, [t]]) => id + "," + csv(t)).join("\n") + "\n");
fs.writeFileSync(path.join(tmp, "seed.csv"), `text,category
my card has not arrived yet,card_arrival
when will my new card come,card_arrival
I want my money back for this purchase,refund
please refund the last payment,refund
how do I top up my account,top_up
top up with a bank transfer,top_up
why was my card declined at the shop,card_declined
my card payment got refused,card_declined
`);
fs.writeFileSync(path.join(tmp, "test.csv"), `text,category
has my card been sent,card_arrival
I still have no card,card_arrival
money back please,refund
refund for a double charge,refund
top up my balance,top_up
top up limit,top_up
card was declined,card_declined
payment refused at the store,card_declined
`);
// more labels than keys: the filter and the keys 1-9 are both needed
const extra = "exchange_rate,pin_blocked,lost_or_stolen_card,atm_support,cash_withdrawal," +
  "transfer_timing,card_linking,verify_identity";

// ---- mimic and its label log ----
function freePort() {
  return new Promise((ok, no) => {
    const s = net.createServer();
    s.on("error", no);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

async function start(args) {
  const p = spawn(mimic, args, { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  procs.push(p);
  p.err = "";
  p.stderr.on("data", (d) => (p.err += d));
  p.stdout.on("data", () => {});
  p.done = new Promise((ok) => p.on("exit", (code, sig) => ok({ code, sig })));
  for (let t = 0; !/labeling page: http/.test(p.err); t++) {
    if (p.exitCode !== null) fail("mimic " + args.join(" ") + " exited: " + p.err);
    if (t > 2400) fail("mimic " + args.join(" ") + " did not serve the page: " + p.err);
    await sleep(50);
  }
  return p;
}

async function finished(p) {
  const r = await p.done;
  assert(r.code === 0, "mimic exited with " + JSON.stringify(r) + ": " + p.err);
}

// the answers of rounds >= 1 that are not undone, oldest first
function logRows(db) {
  const py = "import json, sqlite3, sys\n" +
    "c = sqlite3.connect(sys.argv[1])\n" +
    "print(json.dumps(c.execute('SELECT item, label, labeler FROM labels WHERE round > 0 AND undone = 0 ORDER BY id').fetchall()))";
  return JSON.parse(execFileSync("python3", ["-c", py, path.join(tmp, db)]).toString());
}

function checkLog(db, expected, what) {
  const rows = logRows(db);
  const want = [...expected.entries()].map(([id, [label, who]]) => [id, label, "web:" + who]);
  const key = (r) => r.join("|");
  const a = rows.map(key).sort(), b = want.map(key).sort();
  assert(JSON.stringify(a) === JSON.stringify(b),
    what + ": the label log holds\n  " + a.join("\n  ") + "\nbut the page gave\n  " + b.join("\n  "));
  console.log("ok: " + what + " (" + rows.length + " answers in the log, as given)");
}

// ---- the page ----
const textArgs = (port, db, rounds, batch) => ["text", "dagger", "--pool", "pool.csv", "--labeled",
  "seed.csv", "--test", "test.csv", "--labels", extra, "--expert", "web:" + port, "--db", db,
  "--rounds", String(rounds), "--batch", String(batch), "--quiet"];

async function open(browser, port, who) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => { failed = true; console.error("page error: " + e.message); });
  await page.goto(`http://127.0.0.1:${port}/?labeler=${who}`);
  return page;
}

// The open question once the page shows it and no answer is on its way
// (null: mimic has exited).
async function current(page, proc) {
  for (;;) {
    const it = await page.evaluate(() => (!busy && item ? {
      id: item.id, text: item.state.text, suggested: item.suggested, actions: item.actions } : null));
    if (it) return it;
    if (proc.exitCode !== null || proc.signalCode !== null) return null;
    await sleep(30);
  }
}

async function keyOf(page, label) {
  return page.evaluate((l) => visible().findIndex((b) => b.dataset.label === l) + 1, label);
}

async function shot(page, name) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name) });
}

// Text: clicks, undo, keys, skip, the filter and Enter.
async function textRun(browser) {
  const port = await freePort();
  const p = await start(textArgs(port, "text.sqlite", 2, 3));
  const page = await open(browser, port, "alice");
  const expected = new Map();
  const script = ["click", "undo", "key", "skip", "filter", "enter", "key", "click"];
  let last = null, step = 0;
  for (let it; (it = await current(page, p)); step++) {
    const how = script[step] || "key", label = byText[it.text];
    assert(label, "the page shows a text that is not in the pool: " + it.text);
    if (step === 0)
      assert(await page.getByRole("button", { name: "card_arrival", exact: true }).isVisible(),
        "a button's accessible name is its label");
    if (step === 5) { // round 2: round 1's accuracy is charted
      await page.waitForFunction(() => document.querySelectorAll("#chart circle").length > 0);
      await shot(page, "web-text.png");
    }
    if (how === "click") await page.getByRole("button", { name: label, exact: true }).click();
    else if (how === "undo") { await page.keyboard.press("u"); expected.delete(last); continue; }
    else if (how === "skip") { await page.keyboard.press("s"); continue; }
    else if (how === "enter") {
      if (it.suggested == null) fail("no suggestion to take");
      await page.keyboard.press("Enter");
      expected.set(it.id, [it.suggested, "alice"]);
      last = it.id;
      continue;
    } else if (how === "filter") {
      await page.keyboard.press("/");
      await page.keyboard.type(label.slice(0, 5));
      if (step === 4) await shot(page, "web-text-filter.png");
      const first = await page.evaluate(() => visible()[0].dataset.label);
      assert(first === label, "typing '" + label.slice(0, 5) + "' puts " + first + " first");
      await page.keyboard.press("Enter");
    } else {
      const k = await keyOf(page, label);
      assert(k >= 1 && k <= 9, label + " has no key among the first nine buttons");
      await page.keyboard.press(String(k));
    }
    expected.set(it.id, [label, "alice"]);
    last = it.id;
  }
  await finished(p);
  assert(step >= 7, "the run asked only " + step + " questions");
  checkLog("text.sqlite", expected, "text DAgger through the page (clicks, keys, filter, skip, undo)");
  await page.context().close();
}

// Two labelers in two browser contexts get distinct questions.
async function twoLabelers(browser) {
  const port = await freePort();
  const p = await start(textArgs(port, "two.sqlite", 1, 4));
  const alice = await open(browser, port, "alice"), bob = await open(browser, port, "bob");
  const a = await current(alice, p), b = await current(bob, p);
  assert(a && b && a.id !== b.id, "alice and bob were both handed " + (a && a.id));
  await shot(bob, "web-two-labelers.png");
  const expected = new Map();
  for (let turn = 0; ; turn++) {
    const [page, who] = turn % 2 ? [bob, "bob"] : [alice, "alice"];
    const it = await current(page, p);
    if (!it) break;
    await page.getByRole("button", { name: byText[it.text], exact: true }).click();
    expected.set(it.id, [byText[it.text], who]);
    await page.waitForFunction(() => !busy);
  }
  await finished(p);
  assert(new Set([...expected.values()].map((v) => v[1])).size === 2, "both labelers answered");
  checkLog("two.sqlite", expected, "two labelers, distinct questions");
  await alice.context().close();
  await bob.context().close();
}

// A reload keeps the labeler's question; nothing is lost.
async function reload(browser) {
  const port = await freePort();
  const p = await start(textArgs(port, "reload.sqlite", 1, 3));
  const page = await open(browser, port, "carol");
  const expected = new Map();
  for (let step = 0, it; (it = await current(page, p)); step++) {
    if (step === 1) {
      await page.reload();
      const again = await current(page, p);
      assert(again && again.id === it.id, "after a reload carol got " + (again && again.id) + ", not " + it.id);
    }
    await page.getByRole("button", { name: byText[it.text], exact: true }).click();
    expected.set(it.id, [byText[it.text], "carol"]);
  }
  await finished(p);
  checkLog("reload.sqlite", expected, "a reload mid-round");
  await page.context().close();
}

// mimic killed mid-round and started again: the page carries on.
async function restart(browser) {
  const port = await freePort();
  const args = textArgs(port, "restart.sqlite", 1, 4);
  let p = await start(args);
  const page = await open(browser, port, "dave");
  const expected = new Map();
  for (let step = 0, it; (it = await current(page, p)); step++) {
    if (step === 2) {
      p.kill("SIGKILL");
      await p.done;
      p = await start(args); // the same command resumes the session
      const again = await current(page, p);
      assert(again && !expected.has(again.id), "after the restart the page shows " + (again && again.id));
      it = again;
    }
    await page.getByRole("button", { name: byText[it.text], exact: true }).click();
    expected.set(it.id, [byText[it.text], "dave"]);
  }
  await finished(p);
  assert(expected.size === 4, "4 answers were given, not " + expected.size);
  checkLog("restart.sqlite", expected, "mimic killed and restarted mid-round");
  await page.context().close();
}

// A gridworld: the frame, the suggestion, arrows, digits and Enter.
async function gridworld(browser) {
  const port = await freePort();
  const p = await start(["train", "dagger", "--env", "MiniGrid-Empty-5x5-v0", "--expert",
    "web:" + port, "--rounds", "2", "--min-steps", "6", "--min-episodes", "0", "-o", "grid.mimic",
    "--work", "grid", "--quiet"]);
  const page = await open(browser, port, "erin");
  const expected = new Map();
  const keys = ["ArrowUp", "ArrowUp", "ArrowLeft", "ArrowRight", "3", "ArrowUp"];
  const arrow = { ArrowUp: "forward", ArrowLeft: "left", ArrowRight: "right" };
  for (let step = 0, it; (it = await current(page, p)); step++) {
    if (step === 0) {
      const frame = page.locator("#frame");
      await frame.waitFor({ state: "visible" });
      await page.waitForFunction(() => document.getElementById("frame").naturalWidth > 0);
      assert(await page.getByRole("button", { name: "forward", exact: true }).isVisible(),
        "an action button's accessible name is the action");
      await shot(page, "web-grid.png");
    }
    let key = keys[step] || "ArrowUp", label = arrow[key];
    if (step >= keys.length && it.suggested != null) { key = "Enter"; label = it.suggested; }
    if (/^[1-9]$/.test(key)) label = await page.evaluate((k) => visible()[k - 1].dataset.label, +key);
    await page.keyboard.press(key);
    expected.set(it.id, [label, "erin"]);
  }
  await finished(p);
  checkLog("grid/labels.sqlite", expected, "gridworld DAgger through the page (arrows, digits, Enter)");
  await page.context().close();
}

// An agent's state: the tool chosen by a button, its arguments edited in
// the JSON box (malformed JSON is refused on the page, nothing is sent).
async function agent(browser) {
  const port = await freePort();
  const mission = new URL("../../docs/agent-mission/", import.meta.url).pathname;
  const p = await start(["agent", "dagger", "--demos", mission + "demos.jsonl", "--pool",
    mission + "pool.jsonl", "--store", "agent.sqlite", "-o", "agent.mimic", "--query",
    "uncertain:1", "--expert", "web:" + port, "--quiet"]);
  const page = await open(browser, port, "frank");
  const expected = new Map(), args = new Map();
  const answers = [["search_orders", { order_id: "F1207" }], ["reply", { text: "We are sorry" }]];
  for (let step = 0, it; (it = await current(page, p)); step++) {
    const [tool, a] = answers[step % answers.length];
    if (step === 0) {
      await page.fill("#args", "{\"order_id\": ");
      await page.getByRole("button", { name: tool, exact: true }).click();
      const err = await page.textContent("#argserr");
      assert(/arguments/.test(err), "malformed arguments were not refused on the page: " + err);
      const still = await current(page, p);
      assert(still.id === it.id, "a refused answer moved the page on");
    }
    await page.fill("#args", JSON.stringify(a));
    if (step === 0) await shot(page, "web-agent.png");
    await page.getByRole("button", { name: tool, exact: true }).click();
    expected.set(it.id, [tool, "frank"]);
    args.set(it.id, a);
  }
  await finished(p);
  checkLog("agent.sqlite", expected, "agent corrections with edited arguments");
  const py = "import json, sqlite3, sys\n" +
    "c = sqlite3.connect(sys.argv[1])\n" +
    "print(json.dumps({i: json.loads(m).get('arguments') for i, m in c.execute('SELECT item, meta FROM labels WHERE round > 0 AND undone = 0')}))";
  const stored = JSON.parse(execFileSync("python3", ["-c", py, path.join(tmp, "agent.sqlite")]).toString());
  for (const [id, a] of args)
    assert(JSON.stringify(stored[id]) === JSON.stringify(a), id + ": stored arguments " + JSON.stringify(stored[id]));
  console.log("ok: the stored arguments are the edited ones");
  await page.context().close();
}

// The agent page's argument box starts with the arguments the learner
// fills for its suggested tool (an order id copied from the request), and
// answering with them stores them.
async function agentSuggested(browser) {
  const port = await freePort();
  const mission = new URL("../../docs/agent-mission/", import.meta.url).pathname;
  fs.writeFileSync(path.join(tmp, "apool.jsonl"), JSON.stringify({ id: "p-1", intent: "order_status",
    request: "Where is my order #Z9876? It is late.", steps: [{ action: { tool: "search_orders",
      arguments: { order_id: "Z9876" } } }] }) + "\n");
  const p = await start(["agent", "dagger", "--demos", mission + "demos.jsonl", "--pool", "apool.jsonl",
    "--store", "asug.sqlite", "-o", "asug.mimic", "--query", "uncertain:1", "--expert", "web:" + port,
    "--quiet"]);
  const page = await open(browser, port, "hana");
  const it = await current(page, p);
  assert(it && it.suggested === "search_orders", "the learner suggests " + (it && it.suggested));
  const box = await page.inputValue("#args");
  assert(box === '{"order_id":"Z9876"}', "the argument box starts with " + box);
  await page.getByRole("button", { name: "search_orders", exact: true }).click();
  assert((await current(page, p)) === null, "a second question");
  await finished(p);
  checkLog("asug.sqlite", new Map([[it.id, ["search_orders", "hana"]]]), "an agent correction with the suggested arguments");
  const py = "import json, sqlite3, sys\n" +
    "print(json.dumps([json.loads(m).get('arguments') for (m,) in sqlite3.connect(sys.argv[1]).execute('SELECT meta FROM labels WHERE round > 0 AND undone = 0')]))";
  const stored = execFileSync("python3", ["-c", py, path.join(tmp, "asug.sqlite")]).toString().trim();
  assert(stored === '[{"order_id": "Z9876"}]', "stored arguments " + stored);
  console.log("ok: the argument box starts with the learner's suggested arguments");
  await page.context().close();
}

// Preferences: two clips side by side; answers by click and keys (arrows,
// digits, 0 for equal), skip, undo, a reload mid-round. The preference log
// keeps each pair's key, the choice (first, second, equal, skip) and who.
async function preferences(browser) {
  const port = await freePort();
  const p = await start(["train", "preferences", "--env", "CartPole-v1", "--env-opts",
    "fixed_horizon=1", "--comparisons", "6", "--iterations", "1", "--initial-frac", "0.5",
    "--fragment-length", "10", "--initial-epoch-multiplier", "2", "--steps", "2048",
    "--gatherer", "web:" + port, "-o", "pref.mimic", "--quiet"]);
  const page = await open(browser, port, "gina");
  const expected = new Map();
  for (let step = 0, it; (it = await current(page, p)); step++) {
    assert(it.actions.join() === "left,right,equal", "the choices are " + it.actions);
    if (step === 0) {
      assert(await page.getByRole("button", { name: "left", exact: true }).isVisible(),
        "a choice's accessible name is its name");
      await page.waitForFunction(() => document.querySelector("#leftclip .anim").width > 0 &&
        document.querySelector("#rightclip .strip").width > 0);
      await shot(page, "web-preferences.png");
      await page.getByRole("button", { name: "left", exact: true }).click();
      expected.set(it.id, ["first", "gina"]);
    } else if (step === 1) { // right by the arrow, taken back, answered again by digit
      await page.keyboard.press("ArrowRight");
      const after = await current(page, p);
      assert(after && after.id !== it.id, "the answered pair is still shown");
      await page.keyboard.press("u");
      const back = await current(page, p);
      assert(back && back.id === it.id, "after undo gina got " + (back && back.id) + ", not " + it.id);
      await page.keyboard.press("2");
      expected.set(it.id, ["second", "gina"]);
    } else if (step === 2) {
      await page.keyboard.press("0");
      expected.set(it.id, ["equal", "gina"]);
    } else if (step === 3) { // the second round, mid-way: a reload keeps the pair
      await page.reload();
      const again = await current(page, p);
      assert(again && again.id === it.id, "after a reload gina got " + (again && again.id) + ", not " + it.id);
      await page.keyboard.press("1");
      expected.set(it.id, ["first", "gina"]);
    } else if (step === 4) {
      await page.keyboard.press("s");
      expected.set(it.id, ["skip", "gina"]);
    } else {
      await page.keyboard.press("=");
      expected.set(it.id, ["equal", "gina"]);
    }
  }
  await finished(p);
  assert(expected.size === 6, "6 pairs were answered, not " + expected.size);
  const py = "import json, sqlite3, sys\n" +
    "c = sqlite3.connect(sys.argv[1])\n" +
    "print(json.dumps(c.execute('SELECT item, label, labeler FROM labels WHERE undone = 0 ORDER BY id').fetchall()))";
  const rows = JSON.parse(execFileSync("python3", ["-c", py, path.join(tmp, "pref.mimic.labels")]).toString());
  const want = [...expected.entries()].map(([id, [label, who]]) => [id, label, "web:" + who].join("|"));
  assert(JSON.stringify(rows.map((r) => r.join("|"))) === JSON.stringify(want),
    "the preference log holds\n  " + rows.map((r) => r.join("|")).join("\n  ") + "\nbut the page gave\n  " + want.join("\n  "));
  console.log("ok: preferences through the page (click, arrows, digits, 0 and =, skip, undo, reload): " +
    rows.length + " answers in the log, as given");
  await page.context().close();
}

// Box (continuous) actions: Pendulum's torque set by arrow keys on the
// slider and by typing in the number box, sent with Enter and the button;
// an out-of-range number is refused on the page (nothing sent); a reload
// mid-round shows the same question. The log holds exactly the vectors
// sent, as float32.
async function continuous(browser) {
  const port = await freePort();
  const p = await start(["train", "dagger", "--env", "Pendulum-v1", "--expert", "web:" + port,
    "--rounds", "2", "--min-steps", "4", "--min-episodes", "0", "--eval-episodes", "1",
    "-o", "pendulum.mimic", "--work", "pendulum", "--quiet"]);
  let page = await open(browser, port, "frank");
  const expected = new Map();
  let shown = false;
  const slider = () => page.getByRole("slider", { name: "torque", exact: true });
  const number = () => page.getByRole("spinbutton", { name: "torque", exact: true });
  const boxItem = async () => {
    for (;;) {
      const it = await page.evaluate(() => (!busy && item && item.box ? { id: item.id, suggested: item.suggested } : null));
      if (it) return it;
      if (p.exitCode !== null || p.signalCode !== null) return null;
      await sleep(30);
    }
  };
  for (let step = 0, it; (it = await boxItem()); step++) {
    const start = Number(await number().inputValue());
    let sent;
    if (step === 0) {
      await page.locator("#frame").waitFor({ state: "visible" });
      await page.waitForFunction(() => document.getElementById("frame").naturalWidth > 0);
      assert(await slider().isVisible(), "the slider's accessible name is the dimension's");
      // three nudges up, one down: two hundredths of the range (2 x 0.04) above the start
      await slider().focus();
      for (const k of ["ArrowRight", "ArrowUp", "ArrowRight", "ArrowLeft"]) await page.keyboard.press(k);
      sent = Number(await number().inputValue());
      const want = Math.min(2, start + 0.08);
      assert(Math.abs(sent - want) < 1e-5, "nudged from " + start + " to " + sent + ", want " + want);
      assert(Math.abs(Number(await slider().inputValue()) - sent) < 1e-6, "the slider follows the number box");
      await page.keyboard.press("Enter");
    } else if (step === 1) {
      // typed: out of range is refused on the page (nothing sent), then a good value
      await number().fill("2.5");
      await number().press("Enter");
      await page.waitForFunction(() => /outside/.test(document.getElementById("boxerr").textContent));
      assert(await page.evaluate(() => item && !busy), "an out-of-range number was sent");
      await number().fill("-1.2345678");
      assert(Math.abs(Number(await slider().inputValue()) + 1.2345678) < 1e-6, "the slider follows typing");
      sent = -1.2345678;
      await number().press("Enter");
    } else if (step === 2) {
      // a reload mid-round: the same question, then sent by the button
      await page.reload();
      const again = await boxItem();
      assert(again && again.id === it.id, "after a reload the page shows " + (again && again.id) + ", not " + it.id);
      await number().fill("0.3");
      sent = 0.3;
      await page.getByRole("button", { name: "send", exact: true }).click();
    } else {
      // Shift+arrow: a tenth of the range from where the controls start
      await slider().focus();
      await page.keyboard.press(step % 2 ? "Shift+ArrowLeft" : "Shift+ArrowRight");
      sent = Number(await number().inputValue());
      const want = Math.max(-2, Math.min(2, start + (step % 2 ? -0.4 : 0.4)));
      assert(Math.abs(sent - want) < 1e-5, "Shift+arrow from " + start + " gave " + sent + ", want " + want);
      if (it.suggested && !shown) { shown = true; await shot(page, "web-continuous.png"); } // round 2: a suggestion
      await page.keyboard.press("Enter");
    }
    expected.set(it.id, [JSON.stringify([Math.fround(sent)]), "frank"]);
    await page.waitForFunction((id) => !item || item.id !== id, it.id).catch(() => {});
  }
  await finished(p);
  // the log's text as float32 against what the page sent
  const rows = logRows("pendulum/labels.sqlite").map(([id, label, who]) =>
    [id, JSON.stringify(JSON.parse(label).map(Math.fround)), who]);
  const want = [...expected.entries()].map(([id, [label, who]]) => [id, label, "web:" + who]);
  const key = (r) => r.join("|");
  assert(JSON.stringify(rows.map(key)) === JSON.stringify(want.map(key)),
    "the label log holds\n  " + rows.map(key).join("\n  ") + "\nbut the page sent\n  " + want.map(key).join("\n  "));
  assert(rows.length >= 8, "only " + rows.length + " answers over two rounds");
  console.log("ok: Box actions through the page (arrows, Shift+arrows, typing, Enter, the button, a reload): " +
    rows.length + " vectors in the log, as sent");
  await page.context().close();
}

const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
try {
  const runs = { textRun, twoLabelers, reload, restart, gridworld, agent, agentSuggested, preferences,
    continuous };
  for (const [name, run] of Object.entries(runs)) // ONLY=name runs one of them
    if (!process.env.ONLY || process.env.ONLY === name) await run(browser);
  if (failed) fail("the page threw errors");
  console.log("all browser tests passed");
} catch (e) {
  console.error("FAIL: " + e.message);
  for (const p of procs) if (p.err) console.error("--- mimic stderr:\n" + p.err.slice(-2000));
  process.exitCode = 1;
} finally {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await browser.close();
  if (!process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
}
