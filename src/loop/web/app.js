// The labeling page (docs/web-expert.md): asks mimic for this labeler's
// question, shows it, sends the answer, asks again. Everything it knows is
// on the server: a reload or a restarted mimic picks up where it was.
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const $ = (id) => document.getElementById(id);
let labeler = params.get("labeler") || localStorage.getItem("mimic.labeler") || "";
if (!/^[A-Za-z0-9._@-]{1,40}$/.test(labeler)) labeler = "labeler-" + Math.random().toString(36).slice(2, 6);
localStorage.setItem("mimic.labeler", labeler);
$("labeler").value = labeler;
$("labeler").addEventListener("change", () => {
  const v = $("labeler").value.trim();
  if (/^[A-Za-z0-9._@-]{1,40}$/.test(v)) { labeler = v; localStorage.setItem("mimic.labeler", v); next(); }
  else $("labeler").value = labeler;
});

let item = null, busy = false, timer = null, frameN = 0;

async function api(path, body) {
  const opts = { headers: {} };
  if (token) opts.headers["X-Mimic-Token"] = token;
  if (body) { opts.method = "POST"; opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const r = await fetch("/api/" + path, opts);
  let j = {};
  try { j = await r.json(); } catch (e) { /* an empty reply */ }
  return { status: r.status, body: j };
}

function later(ms) { clearTimeout(timer); timer = setTimeout(next, ms); }

async function next() {
  clearTimeout(timer);
  let r;
  try { r = await api("next?labeler=" + encodeURIComponent(labeler)); }
  catch (e) { say("no connection to mimic: retrying"); return later(1000); }
  if (r.status !== 200) { say(r.body.error || "error " + r.status); return later(1000); }
  say("");
  progress(r.body.progress);
  if (!r.body.item) { item = null; $("question").hidden = true; $("waiting").hidden = false; return later(400); }
  if (!item || item.id !== r.body.item.id) show(r.body.item);
  later(3000); // progress and chart stay fresh while the question is open
}

function say(m) { $("message").textContent = m; }

function progress(p) {
  if (!p) return;
  $("kind").textContent = p.kind === "text" ? "text labels" : p.kind === "state" ? "environment" : p.kind === "agent_state" ? "agent" : p.kind === "compare" ? "preferences" : p.kind;
  const parts = [];
  if (p.round) parts.push("round " + p.round + " of " + p.rounds);
  parts.push("answered " + p.answered + (p.count ? " of " + p.count : ""));
  if (p.budget) parts.push(p.total + " of " + p.budget + " in all");
  $("progress").textContent = parts.join(" \u00b7 ");
  const who = Object.entries(p.labelers || {}).map(([k, v]) => k + ": " + v);
  $("labelers").textContent = who.length ? "answers by " + who.join(", ") : "";
  chart(p.history || []);
  agreement(p.agreement);
}

// --web-agreement K: questions with all K votes, pairwise agreement and Fleiss' kappa
function agreement(a) {
  $("agreement").hidden = !a;
  if (!a) return;
  const num = (x) => (x === null || x === undefined ? "\u2013" : x.toFixed(2));
  const one = (name, s) => name + ": " + s.complete + " with all " + a.k + " votes, pairwise " +
    num(s.pairwise) + ", Fleiss\u2019 \u03ba " + num(s.kappa);
  $("agreement").textContent = one("this round", a.this_round) + " \u00b7 " + one("overall", a.overall);
}

function chart(h) {
  const svg = $("chart"), W = 260, H = 90, pad = 18;
  svg.textContent = "";
  $("nochart").hidden = h.length > 0;
  svg.style.display = h.length ? "" : "none";
  if (!h.length) return;
  const vs = h.map((r) => r.value), lo = Math.min(...vs), hi = Math.max(...vs);
  const x = (i) => pad + (h.length > 1 ? i * (W - 2 * pad) / (h.length - 1) : (W - 2 * pad) / 2);
  const y = (v) => H - pad - (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (H - 2 * pad);
  const ns = "http://www.w3.org/2000/svg";
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", h.map((r, i) => x(i) + "," + y(r.value)).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#2a6fb0"); line.setAttribute("stroke-width", "2");
  svg.appendChild(line);
  h.forEach((r, i) => {
    const c = document.createElementNS(ns, "circle");
    c.setAttribute("cx", x(i)); c.setAttribute("cy", y(r.value)); c.setAttribute("r", 3); c.setAttribute("fill", "#2a6fb0");
    svg.appendChild(c);
  });
  const t = document.createElementNS(ns, "text");
  const last = h[h.length - 1];
  t.setAttribute("x", 2); t.setAttribute("y", 12); t.setAttribute("font-size", "11");
  t.textContent = last.metric + " " + last.value.toFixed(3) + " after round " + last.round;
  svg.appendChild(t);
  svg.setAttribute("aria-label", h.map((r) => "round " + r.round + " " + r.metric + " " + r.value.toFixed(3)).join(", "));
}

function show(it) {
  item = it;
  $("waiting").hidden = true;
  $("question").hidden = false;
  const s = it.state || {};
  $("where").textContent = "item " + it.id + (it.must_act ? " \u00b7 the rollout waits for this action" : "");
  const compare = it.kind === "compare";
  const frame = $("frame");
  frame.hidden = !it.frame || compare;
  const src = "/api/frame?item=" + encodeURIComponent(it.id) + (token ? "&token=" + token : "") + "&n=" + frameN++;
  if (it.frame && !compare) frame.src = src;
  $("clips").hidden = !compare;
  if (compare) clips(it, src);
  $("text").className = it.kind === "text" ? "" : "picture";
  $("text").textContent = it.kind === "text" ? s.text : it.kind === "agent_state" ? agentText(s) : compare ? "" : (s.shown || s.env || "");
  $("suggestion").textContent = compare ? "which clip is better?" : it.suggested != null
    ? "the learner suggests " + it.suggested + (it.confidence != null ? " (confidence " + it.confidence.toFixed(2) + ")" : "")
    : "the learner has no guess yet";
  const g = $("guesses");
  g.textContent = "";
  for (const q of s.guesses || []) {
    const li = document.createElement("li");
    li.textContent = q.label + " " + q.p.toFixed(2);
    const bar = document.createElement("span");
    bar.className = "bar"; bar.style.width = Math.round(q.p * 120) + "px";
    li.appendChild(bar);
    g.appendChild(li);
  }
  // guesses first, then the rest in the loop's order: keys 1-9 reach the likely ones
  const first = (s.guesses || []).map((q) => q.label);
  const order = first.concat(it.actions.filter((a) => !first.includes(a)));
  const box = $("answers");
  box.textContent = "";
  for (const name of order) {
    const b = document.createElement("button");
    b.dataset.label = name;
    b.setAttribute("aria-label", name);
    if (name === it.suggested) b.className = "suggested";
    b.addEventListener("click", () => answer(name));
    const k = document.createElement("kbd");
    b.appendChild(k);
    b.appendChild(document.createTextNode(" " + name));
    box.appendChild(b);
  }
  $("filterbox").hidden = order.length <= 9;
  $("filter").value = "";
  if (document.activeElement && document.activeElement.id === "filter") $("filter").blur(); // keys answer again
  numberKeys();
  const agent = it.kind === "agent_state";
  $("argsbox").hidden = !agent;
  // the box starts with the arguments the learner fills for its suggested tool
  if (agent) $("args").value = JSON.stringify((s.guess && s.guess.arguments) || {});
  $("argserr").textContent = "";
  $("skip").disabled = $("undo").disabled = it.must_act;
  boxShow(it); // a Box action: sliders and number boxes (box.js)
}

// Two clips side by side: the frames (a sheet of two rows, left clip on top)
// played as animations with the shown steps as strips, or a table of the
// observations and actions where the environment draws no frames.
let playing = null;
function clips(it, src) {
  const s = it.state, K = s.shown.length;
  clearInterval(playing);
  for (const side of ["left", "right"]) {
    const c = s[side], el = $(side + "clip");
    el.querySelector(".anim").hidden = el.querySelector(".strip").hidden = !it.frame;
    el.querySelector("pre").hidden = !!it.frame;
    el.querySelector("pre").textContent = s.shown.map((t, k) => "step " + String(t).padStart(3) + "  " +
      c.observations[k].map((v) => v.toFixed(3).padStart(7)).join(" ") + "  a=" + JSON.stringify(c.actions[k])).join("\n");
  }
  if (!it.frame) return;
  const img = new Image();
  img.onload = () => {
    const tw = img.width / K, th = img.height / 2;
    let k = 0;
    for (const [row, side] of [[0, "left"], [1, "right"]]) {
      const strip = $(side + "clip").querySelector(".strip");
      strip.width = img.width; strip.height = th;
      strip.getContext("2d").drawImage(img, 0, row * th, img.width, th, 0, 0, img.width, th);
    }
    const draw = () => {
      for (const [row, side] of [[0, "left"], [1, "right"]]) {
        const a = $(side + "clip").querySelector(".anim");
        a.width = tw; a.height = th;
        a.getContext("2d").drawImage(img, k * tw, row * th, tw, th, 0, 0, tw, th);
      }
      $("clipstep").textContent = "step " + s.shown[k] + " of " + s.steps;
      k = (k + 1) % K;
    };
    draw();
    playing = setInterval(draw, 350);
  };
  img.src = src;
}

function agentText(s) {
  const st = s.state || {};
  const show = (v) => (typeof v === "string" ? v : JSON.stringify(v));
  const prev = (st.previous_actions || []).map((m) => (m && m.tool ? m.tool + " " + show(m.arguments || {}) : show(m)));
  const lines = ["intent: " + (st.intent || "(none)"), "request: " + (st.request || ""),
    "earlier moves: " + (prev.length ? prev.join(", ") : "(none)")];
  if (st.last_observation != null) lines.push("last observation: " + show(st.last_observation));
  return lines.join("\n");
}

function visible() { return [...$("answers").children].filter((b) => !b.hidden); }

function numberKeys() {
  visible().forEach((b, i) => {
    const k = b.firstChild;
    k.textContent = i < 9 ? String(i + 1) : "";
    if (i < 9) b.setAttribute("aria-keyshortcuts", String(i + 1)); else b.removeAttribute("aria-keyshortcuts");
  });
  for (const b of $("answers").children) if (b.hidden) b.firstChild.textContent = "";
}

$("filter").addEventListener("input", () => {
  const f = $("filter").value.toLowerCase();
  for (const b of $("answers").children) b.hidden = !b.dataset.label.toLowerCase().includes(f);
  numberKeys();
});

async function send(path, body) {
  if (busy) return;
  busy = true;
  for (const b of document.querySelectorAll("#question button")) b.disabled = true;
  let r = null;
  for (let tries = 0; !r; tries++) {
    try { r = await api(path, body); }
    catch (e) { say("no connection to mimic: retrying"); await new Promise((ok) => setTimeout(ok, 1000)); }
  }
  busy = false;
  for (const b of document.querySelectorAll("#question button")) b.disabled = false;
  if (r.status !== 200) say(r.body.error || "error " + r.status);
  else say(path === "undo" ? "took back " + r.body.undone : "");
  item = null;
  next();
}

function answer(name) {
  if (!item) return;
  const body = { item: item.id, label: name, labeler };
  if (item.kind === "agent_state") {
    let args;
    try { args = JSON.parse($("args").value || "{}"); } catch (e) { $("argserr").textContent = "arguments: " + e.message; return; }
    if (!args || typeof args !== "object" || Array.isArray(args)) { $("argserr").textContent = "arguments must be a JSON object"; return; }
    body.arguments = args;
  }
  send("answer", body);
}

$("args").addEventListener("input", () => ($("argserr").textContent = ""));
$("skip").addEventListener("click", () => item && send("skip", { item: item.id, labeler }));
$("undo").addEventListener("click", () => send("undo", { labeler }));

document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (boxKey(ev)) return; // a Box action's sliders and Enter (box.js)
  if (t.id === "filter") {
    if (ev.key === "Enter") { const v = visible(); if (v.length) answer(v[0].dataset.label); ev.preventDefault(); }
    if (ev.key === "Escape") { $("filter").value = ""; $("filter").dispatchEvent(new Event("input")); t.blur(); }
    return;
  }
  if (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || !item) return;
  const v = visible();
  const arrows = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "forward" };
  if (item.kind === "compare" && (ev.key === "0" || ev.key === "=")) answer("equal");
  else if (/^[1-9]$/.test(ev.key) && +ev.key <= v.length) answer(v[+ev.key - 1].dataset.label);
  else if (ev.key in arrows && item.actions.includes(arrows[ev.key])) answer(arrows[ev.key]);
  else if (ev.key === "Enter" && t.tagName !== "BUTTON" && item.suggested != null) answer(item.suggested);
  else if (ev.key === "s" && !item.must_act) $("skip").click();
  else if (ev.key === "u" && !item.must_act) $("undo").click();
  else if (ev.key === "/" && !$("filterbox").hidden) $("filter").focus();
  else return;
  ev.preventDefault();
});

next();
