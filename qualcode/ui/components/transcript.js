// The coding workbench: one transcript, its codings as highlights, coding by selection.
//
// Python sends {transcript, sha, text, turns, codes, codings, coder, acks}; every offset is
// in UTF-16 units, i.e. a JavaScript string index into `text`. The text and turns come only
// the first time a browser session shows a transcript version (`sha`): they are kept here
// per version, and if they are missing the component asks for them again ("resend").
//
// Actions go back as ONE trigger value, "action" = {ops: [...]}, carrying every action not
// yet acknowledged, each with a client id: a trigger that is lost or merged with another is
// simply sent again, and Python skips ids it has done. Local changes show at once (the op is
// laid over Python's codings); Python's rerun confirms them (its `acks` name the client ids
// it has stored, with the error if one was refused).
//
// Transcript text, speakers, code names, coders and memos are user data: they reach the
// DOM only as text nodes or textContent, never as HTML.
//
// This file holds the data, the drawing and the selection; transcript_popups.js adds the
// popups to the Workbench class (transcript.py joins both into the one module Streamlit loads).

const instances = new WeakMap();
const layouts = new Map(); // "transcript@sha" -> {text, turns}, for the life of the browser tab
const MACHINE = new Set(["rule", "model"]);

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  let bench = instances.get(parentElement);
  if (!bench) {
    bench = new Workbench(parentElement);
    instances.set(parentElement, bench);
  }
  const generation = ++bench.generation;
  bench.send = setTriggerValue;
  // Python sends UTF-8 JSON bytes (see transcript.py: smaller than Streamlit's own JSON)
  const decoded = data instanceof Uint8Array || data instanceof ArrayBuffer
    ? JSON.parse(new TextDecoder().decode(data)) : data;
  bench.receive(decoded || {});
  // Streamlit calls the module again (same element) whenever the data changes and keeps
  // only the latest clean-up for the unmount: an older one must not tear the bench down.
  return () => {
    if (bench.generation === generation) bench.destroy();
  };
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function hexToRgba(hex, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return `rgba(128,128,128,${alpha})`;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

function isSpace(ch) {
  return /\s/.test(ch);
}

class Workbench {
  constructor(host) {
    this.host = host;
    this.generation = 0;
    this.data = null;
    this.outbox = [];
    this.counter = 0;
    this.client = Math.random().toString(36).slice(2, 10);
    this.nodeStart = new WeakMap(); // text node -> UTF-16 offset of its first character
    this.turnEls = [];
    this.turnSigs = [];
    this.popup = null;
    this.root = el("div", "qc-workbench");
    this.root.setAttribute("data-testid", "qc-transcript");
    this.root.setAttribute("data-pending", "0");
    this.body = el("div", "qc-body");
    this.root.append(this.body);
    host.append(this.root);
    this.onMouseUp = (ev) => this.mouseUp(ev);
    this.onDocDown = (ev) => {
      this.downInside = this.body.contains(ev.target); // only a press in the text selects or opens
      if (this.popup && !this.popup.contains(ev.target)) this.closePopup();
    };
    this.onDocKey = (ev) => {
      if (ev.key === "Escape" && this.popup) {
        this.closePopup();
        ev.stopPropagation();
      }
    };
    // on the document: a drag that starts in the transcript may end outside it
    document.addEventListener("mouseup", this.onMouseUp);
    document.addEventListener("mousedown", this.onDocDown, true);
    document.addEventListener("keydown", this.onDocKey, true);
  }

  destroy() {
    document.removeEventListener("mouseup", this.onMouseUp);
    document.removeEventListener("mousedown", this.onDocDown, true);
    document.removeEventListener("keydown", this.onDocKey, true);
    clearTimeout(this.retry);
    clearTimeout(this.toastTimer);
    this.root.remove();
    instances.delete(this.host);
  }

  // --- data from Python ---------------------------------------------------------------------

  receive(data) {
    performance.mark("qc:receive");
    const version = `${data.transcript}@${data.sha}`;
    if (typeof data.text === "string") {
      layouts.delete(version);
      layouts.set(version, { text: data.text, turns: data.turns || [] });
      while (layouts.size > 8) layouts.delete(layouts.keys().next().value);
    }
    const layout = layouts.get(version);
    if (!layout) { // this tab lost the text (or never got it): ask Python to send it again
      if (this.asked !== version) {
        this.asked = version;
        this.send("action", { ops: this.outbox, resend: true });
      }
      return;
    }
    this.asked = null;
    const codesSig = JSON.stringify(data.codes || []); // a recoloured code redraws everything
    const fresh = !this.data || this.version !== version || this.codesSig !== codesSig;
    if (this.version !== version) this.root.scrollTop = 0;
    this.version = version;
    this.codesSig = codesSig;
    this.data = {
      transcript: data.transcript || "",
      text: layout.text,
      turns: layout.turns,
      codes: data.codes || [],
      codings: (data.codings || []).map(([id, code, start, end, status, origin, coder, rule, memo, confidence,
                                          mine]) => ({ id, code, start, end, status, origin, coder, rule, memo,
                                                       confidence, mine })),
      coder: data.coder || "",
      acks: data.acks || {},
    };
    this.codes = new Map(this.data.codes.map((c) => [c.id, c]));
    this.root.setAttribute("data-coder", this.data.coder);
    const acks = this.data.acks;
    this.outbox = this.outbox.filter((op) => {
      const ack = acks[op.cid];
      if (!ack) return true;
      if (ack.error) this.toast(ack.error);
      return false;
    });
    if (fresh) {
      this.closePopup();
      this.body.replaceChildren();
      this.turnEls = [];
      this.turnSigs = [];
      this.root.setAttribute("data-transcript", this.data.transcript);
    }
    this.refresh();
    if (this.popup && this.popup.qcRefresh) this.popup.qcRefresh();
    performance.mark("qc:drawn");
  }

  // Python's codings with the unacknowledged ops of this transcript laid over them.
  view() {
    const list = this.data.codings.map((c) => ({ ...c }));
    const byId = new Map(list.map((c) => [String(c.id), c]));
    const gone = new Set();
    for (const op of this.outbox) {
      if (op.transcript !== this.data.transcript) continue;
      const c = op.id !== undefined ? byId.get(String(op.id)) : null;
      if (op.action === "add") {
        list.push(this.localCoding(op.cid, op.code, op.start, op.end));
      } else if (!c) {
        continue;
      } else if (op.action === "accept") {
        Object.assign(c, { status: "accepted", pending: true });
      } else if (op.action === "reject" || op.action === "delete") {
        gone.add(c);
      } else if (op.action === "memo") {
        Object.assign(c, { memo: op.memo, pending: true });
      } else if (op.action === "recode") {
        if (MACHINE.has(c.origin)) {
          gone.add(c);
          list.push(this.localCoding(op.cid, op.code, c.start, c.end));
        } else {
          Object.assign(c, { code: op.code, pending: true });
        }
      }
    }
    return list.filter((c) => !gone.has(c) && c.status !== "rejected");
  }

  localCoding(cid, code, start, end) {
    return { id: cid, code, start, end, status: "accepted", origin: "manual", coder: this.data.coder,
             mine: true, memo: null, rule: null, pending: true };
  }

  refresh() {
    const turns = this.data.turns;
    const codings = this.view();
    this.byId = new Map(codings.map((c) => [String(c.id), c]));
    const buckets = turns.map(() => []);
    const ends = turns.map((t) => t[1]);
    for (const c of codings) {
      // the first turn that ends after the coding starts, then every turn it reaches into
      let lo = 0;
      let hi = ends.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ends[mid] <= c.start) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < turns.length && turns[i][0] < c.end; i++) buckets[i].push(c);
    }
    for (let i = 0; i < turns.length; i++) {
      const sig = buckets[i].map((c) => `${c.id}:${c.code}:${c.status}:${c.start}:${c.end}:${c.pending ? 1 : 0}`)
        .join("|");
      if (this.turnEls[i] && this.turnSigs[i] === sig) continue;
      this.renderTurn(i, buckets[i]);
      this.turnSigs[i] = sig;
    }
    const pending = this.outbox.filter((op) => op.transcript === this.data.transcript).length;
    this.root.setAttribute("data-pending", String(pending));
    this.root.setAttribute("data-codings", String(codings.length));
  }

  // --- drawing ------------------------------------------------------------------------------

  renderTurn(i, codings) {
    const [start, end, speaker, role, time] = this.data.turns[i];
    let turn = this.turnEls[i];
    if (!turn) {
      turn = el("div", `qc-turn qc-role-${/^[a-z]+$/.test(role) ? role : "other"}`);
      turn.setAttribute("data-turn", String(i));
      const head = el("div", "qc-head");
      if (time) head.append(el("span", "qc-time", time));
      head.append(el("span", "qc-speaker", speaker || "—"), el("span", "qc-role", role));
      turn.append(head, el("div", "qc-text"));
      this.body.append(turn);
      this.turnEls[i] = turn;
    }
    const text = this.data.text;
    const cuts = new Set([start, end]);
    for (const c of codings) {
      cuts.add(Math.max(start, c.start));
      cuts.add(Math.min(end, c.end));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k];
      const b = points[k + 1];
      if (a >= b) continue;
      const node = document.createTextNode(text.slice(a, b));
      this.nodeStart.set(node, a);
      const over = codings.filter((c) => c.start <= a && c.end >= b);
      if (!over.length) {
        frag.append(node);
        continue;
      }
      let out = node;
      const suggested = over.filter((c) => c.status === "suggested");
      const accepted = over.filter((c) => c.status !== "suggested");
      if (suggested.length) out = this.mark(suggested, "suggested", out);
      if (accepted.length) out = this.mark(accepted, "accepted", out);
      frag.append(out);
    }
    turn.lastChild.replaceChildren(frag);
  }

  // One <mark> per status: accepted codings fill and underline (a stripe per code, so
  // overlapping codes all stay visible), suggestions get a dashed border.
  mark(codings, status, child) {
    const m = el("mark", `qc-mark qc-${status}`);
    const codeIds = [...new Set(codings.map((c) => c.code))];
    const colors = codeIds.map((id) => (this.codes.get(id) || {}).color || "#888888");
    m.setAttribute("data-code-ids", codeIds.join(" "));
    m.setAttribute("data-coding-ids", codings.map((c) => c.id).join(" "));
    m.setAttribute("data-status", status);
    if (codings.some((c) => c.pending)) m.setAttribute("data-pending", "true");
    // Whose codings these are: another coder's work shows their name (hover, and data-coders).
    const coders = [...new Set(codings.map((c) => c.coder).filter(Boolean))];
    if (coders.length) m.setAttribute("data-coders", coders.join(" "));
    if (codings.some((c) => c.coder && !c.mine && c.origin !== "rule" && c.origin !== "model")) {
      m.classList.add("qc-others");
    }
    m.title = codeIds.map((id) => (this.codes.get(id) || {}).name || id).join(" + ") +
      (status === "suggested" ? " (suggested)" : "") + (coders.length ? ` · ${coders.join(", ")}` : "");
    // 2px per code below the text (the padding keeps the stripes off the letters)
    const stripes = colors.slice(0, 6).map((c, j) => `inset 0 -${2 * (j + 1)}px 0 ${c}`).join(", ");
    m.style.paddingBottom = `${2 * Math.min(colors.length, 6)}px`;
    if (status === "accepted") {
      m.style.backgroundColor = hexToRgba(colors[0], 0.22);
      m.style.boxShadow = stripes;
    } else {
      m.style.backgroundColor = hexToRgba(colors[0], 0.08);
      m.style.borderColor = colors[0];
      if (colors.length > 1) m.style.boxShadow = stripes;
    }
    m.append(child);
    return m;
  }

  // --- selection -> offsets -----------------------------------------------------------------

  offsetAt(node, offset) {
    if (node.nodeType === Node.TEXT_NODE && this.nodeStart.has(node)) return this.nodeStart.get(node) + offset;
    // A boundary between nodes (or inside a speaker line): the start of the first text node
    // of the transcript after it, else the end of the last one before it.
    const probe = document.createRange();
    probe.setStart(node, offset);
    const walker = document.createTreeWalker(this.body, NodeFilter.SHOW_TEXT);
    let last = null;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!this.nodeStart.has(n)) continue;
      if (probe.comparePoint(n, 0) >= 0) return this.nodeStart.get(n);
      last = n;
    }
    return last ? this.nodeStart.get(last) + last.length : 0;
  }

  selectionSpan() {
    const sel = window.getSelection();
    if (!this.data || !sel || sel.isCollapsed || !sel.rangeCount) return null;
    const range = sel.getRangeAt(0);
    if (!this.body.contains(range.commonAncestorContainer)) return null;
    let start = this.offsetAt(range.startContainer, range.startOffset);
    let end = this.offsetAt(range.endContainer, range.endOffset);
    const text = this.data.text;
    while (start < end && isSpace(text[start])) start++;
    while (end > start && isSpace(text[end - 1])) end--;
    // never cut an emoji (a surrogate pair) in two
    if (start > 0 && /[\uDC00-\uDFFF]/.test(text[start])) start--;
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end++;
    if (end <= start) return null;
    return { start, end, rect: range.getBoundingClientRect() };
  }

  mouseUp(ev) {
    if (ev.button !== 0 || !this.downInside || (this.popup && this.popup.contains(ev.target))) return;
    this.downInside = false;
    // let the browser finish the selection first
    setTimeout(() => {
      const span = this.selectionSpan();
      if (span) {
        this.openPalette({ mode: "add", start: span.start, end: span.end }, span.rect);
        return;
      }
      const target = ev.target instanceof Element ? ev.target.closest("mark.qc-mark") : null;
      if (target && this.body.contains(target)) this.openDetails(target);
    }, 0);
  }

  // --- to Python ----------------------------------------------------------------------------

  push(op) {
    this.outbox.push({ ...op, transcript: this.data.transcript, cid: `${this.client}-${++this.counter}` });
    this.refresh();
    this.flush();
  }

  flush() {
    clearTimeout(this.retry);
    if (!this.outbox.length || !this.send) return;
    performance.mark("qc:send"); // (the marks let benchmarks/ui_latency.py split the time)
    this.send("action", { ops: this.outbox });
    // If no rerun acknowledges them (a dropped connection), send them again: Python does
    // each client id once.
    this.retry = setTimeout(() => this.flush(), 10000);
  }
}
