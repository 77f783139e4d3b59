// Box (continuous) actions on the labeling page (docs/web-expert.md): a
// slider and a number box per dimension, named by the dimension, starting
// at the learner's suggestion (pulled inside the bounds). Arrows nudge the
// focused slider by a hundredth of its range (Shift: a tenth), Enter sends
// the vector. The page checks the numbers before sending and mimic checks
// them again: a value outside the bounds is refused, never clipped.
// Loaded before app.js, whose item, say, send and $ these use.
"use strict";

// The shortest decimal that reads back as the same float32 (what mimic stores).
function f32text(v) {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return String(t);
  }
  return String(f);
}

function boxDims(it) {
  const b = it.box;
  return b.names.map((name, j) => ({
    name, lo: b.low[j] == null ? -Infinity : b.low[j], hi: b.high[j] == null ? Infinity : b.high[j],
  }));
}

// Shows the controls for a Box question (hides them for any other).
function boxShow(it) {
  const box = $("boxbox");
  box.textContent = "";
  $("boxerr").textContent = "";
  box.hidden = !it.box;
  if (!it.box) return;
  const dims = boxDims(it), sug = Array.isArray(it.suggested) ? it.suggested : null;
  $("suggestion").textContent = sug
    ? "the learner suggests " + dims.map((d, j) => d.name + " " + (sug[j] == null ? "?" : f32text(sug[j]))).join(", ")
    : "the learner has no guess yet";
  dims.forEach((d, j) => {
    const start = Math.min(d.hi, Math.max(d.lo, sug && sug[j] != null ? sug[j] : isFinite(d.lo) && isFinite(d.hi) ? (d.lo + d.hi) / 2 : 0));
    const row = document.createElement("div");
    row.className = "dim";
    const label = document.createElement("label");
    label.textContent = d.name;
    label.htmlFor = "dim" + j;
    row.appendChild(label);
    const slider = document.createElement("input");
    slider.type = "range"; slider.id = "dim" + j; slider.step = "any";
    slider.setAttribute("aria-label", d.name);
    slider.dataset.dim = j;
    const bounded = isFinite(d.lo) && isFinite(d.hi);
    if (bounded) { slider.min = d.lo; slider.max = d.hi; } else slider.hidden = true;
    const num = document.createElement("input");
    num.type = "number"; num.step = "any"; num.className = "num";
    num.setAttribute("aria-label", d.name);
    num.dataset.dim = j;
    if (isFinite(d.lo)) num.min = d.lo;
    if (isFinite(d.hi)) num.max = d.hi;
    const range = document.createElement("span");
    range.className = "range";
    range.textContent = "[" + (isFinite(d.lo) ? f32text(d.lo) : "-\u221e") + ", " + (isFinite(d.hi) ? f32text(d.hi) : "\u221e") + "]";
    slider.addEventListener("input", () => { num.value = f32text(+slider.value); $("boxerr").textContent = ""; });
    num.addEventListener("input", () => {
      $("boxerr").textContent = "";
      const v = num.value === "" ? NaN : +num.value;
      if (isFinite(v) && bounded) slider.value = Math.min(d.hi, Math.max(d.lo, v));
    });
    row.append(slider, num, range);
    box.appendChild(row);
    boxSet(j, start);
  });
  const go = document.createElement("button");
  go.id = "boxsend";
  go.setAttribute("aria-label", "send");
  go.setAttribute("aria-keyshortcuts", "Enter");
  go.append("send ");
  const k = document.createElement("kbd");
  k.textContent = "Enter";
  go.appendChild(k);
  go.addEventListener("click", boxSubmit);
  box.appendChild(go);
}

function boxSet(j, v) {
  const t = f32text(v);
  $("dim" + j).value = t;
  $("boxbox").querySelector('input.num[data-dim="' + j + '"]').value = t;
}

// The vector in the number boxes, or null (and a message) when one is not a
// number or lies outside its bounds.
function boxVector() {
  const dims = boxDims(item), v = [];
  for (let j = 0; j < dims.length; j++) {
    const d = dims[j], text = $("boxbox").querySelector('input.num[data-dim="' + j + '"]').value;
    const x = text === "" ? NaN : Number(text);
    if (!isFinite(x)) { $("boxerr").textContent = d.name + ": not a number"; return null; }
    if (x < d.lo || x > d.hi) {
      $("boxerr").textContent = d.name + ": " + x + " is outside [" + f32text(d.lo) + ", " + f32text(d.hi) + "]";
      return null;
    }
    v.push(x);
  }
  return v;
}

function boxSubmit() {
  if (!item || !item.box) return;
  const v = boxVector();
  if (v) send("answer", { item: item.id, label: v, labeler });
}

// Keys on a Box question: arrows nudge the focused slider, Enter sends.
// True when the key was taken.
function boxKey(ev) {
  if (!item || !item.box) return false;
  const t = ev.target, slider = t.type === "range" && t.dataset.dim != null;
  if (slider && /^Arrow/.test(ev.key)) {
    const j = +t.dataset.dim, d = boxDims(item)[j];
    const step = (d.hi - d.lo) / (ev.shiftKey ? 10 : 100);
    const up = ev.key === "ArrowUp" || ev.key === "ArrowRight";
    const cur = +$("boxbox").querySelector('input.num[data-dim="' + j + '"]').value;
    boxSet(j, Math.min(d.hi, Math.max(d.lo, (isFinite(cur) ? cur : +t.value) + (up ? step : -step))));
    $("boxerr").textContent = "";
  } else if (ev.key === "Enter" && t.tagName !== "BUTTON" && t.tagName !== "TEXTAREA" && t.id !== "labeler") {
    boxSubmit();
  } else {
    return false;
  }
  ev.preventDefault();
  return true;
}
