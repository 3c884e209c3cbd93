// The workbench's popups (see transcript.js, which this file extends and follows in one module):
// the code palette for a selection or a re-code, the details of a highlight (its codings as
// cards with accept, reject, re-code, memo and remove), and the toast for a refused action.
// A popup opens below what it belongs to, or above it when the transcript's visible part has
// no room below (the last lines of a transcript), and never taller than that visible part.
//
// User data (quotes, code names, coders, memos) reaches the DOM only as textContent.

Object.assign(Workbench.prototype, {
  place(popup, rect) {
    const root = this.root;
    const box = root.getBoundingClientRect();
    const left = Math.max(0, Math.min(rect.left - box.left, box.width - 340));
    // The transcript scrolls inside its own box: keep the popup inside the part that is seen.
    popup.style.maxHeight = `${Math.max(120, root.clientHeight - 12)}px`;
    popup.style.left = `${left}px`;
    popup.style.top = "0px";
    root.append(popup);
    const height = popup.offsetHeight;
    const seenTop = root.scrollTop;
    const seenBottom = seenTop + root.clientHeight;
    const below = rect.bottom - box.top + seenTop + 6;
    const above = rect.top - box.top + seenTop - height - 6;
    let top = below;
    if (below + height > seenBottom) top = above >= seenTop ? above : Math.max(seenTop, seenBottom - height - 6);
    popup.style.top = `${top}px`;
    this.popup = popup;
  },

  closePopup() {
    if (this.popup) this.popup.remove();
    this.popup = null;
  },

  noCoder() {
    return el("div", "qc-note",
      "Enter your name as Coder in the sidebar first: every coding is stored with its coder.");
  },

  openPalette(target, rect) {
    this.closePopup();
    const popup = el("div", "qc-palette");
    popup.setAttribute("role", "dialog");
    if (target.mode === "add") {
      const quote = this.data.text.slice(target.start, target.end).replace(/\s+/g, " ");
      popup.append(el("div", "qc-quote", `«${quote.length > 80 ? quote.slice(0, 79) + "…" : quote}»`));
    } else {
      popup.append(el("div", "qc-quote", "Change the code to…"));
    }
    if (!this.data.coder) {
      popup.append(this.noCoder());
      this.place(popup, rect);
      return;
    }
    if (!this.data.codes.length) {
      popup.append(el("div", "qc-note", "The project has no codes yet: add a codebook first (Auto-code page)."));
      this.place(popup, rect);
      return;
    }
    const input = el("input", "qc-palette-input");
    input.type = "text";
    input.placeholder = "Type to filter codes, ↑↓ to move, Enter to apply";
    input.setAttribute("aria-label", "Code");
    const list = el("ul", "qc-palette-list");
    list.setAttribute("role", "listbox");
    const items = this.data.codes.map((code) => {
      const li = el("li", "qc-palette-item");
      li.setAttribute("data-code-id", code.id);
      li.setAttribute("role", "option");
      const swatch = el("span", "qc-swatch");
      swatch.style.backgroundColor = code.color;
      li.append(swatch, el("span", "qc-code-name", code.name));
      if (code.name !== code.id) li.append(el("span", "qc-code-id", code.id));
      li.qcSearch = `${code.name} ${code.id}`.toLowerCase();
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault();
        this.choose(target, code.id);
      });
      list.append(li);
      return li;
    });
    let active = 0;
    const visible = () => items.filter((li) => !li.hidden);
    const highlight = () => {
      const shown = visible();
      active = Math.max(0, Math.min(active, shown.length - 1));
      items.forEach((li) => {
        li.classList.remove("qc-active");
        li.setAttribute("aria-selected", "false");
      });
      if (shown[active]) {
        shown[active].classList.add("qc-active");
        shown[active].setAttribute("aria-selected", "true");
        shown[active].scrollIntoView({ block: "nearest" });
      }
    };
    input.addEventListener("input", () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const li of items) li.hidden = !words.every((w) => li.qcSearch.includes(w));
      active = 0;
      highlight();
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        active += ev.key === "ArrowDown" ? 1 : -1;
        highlight();
        ev.preventDefault();
      } else if (ev.key === "Enter") {
        const li = visible()[active];
        if (li) this.choose(target, li.getAttribute("data-code-id"));
        ev.preventDefault();
      } else if (ev.key === "Escape") {
        this.closePopup();
        ev.preventDefault();
      }
      ev.stopPropagation(); // keep Streamlit's own shortcuts out of the typing
    });
    popup.append(input, list);
    this.place(popup, rect);
    highlight();
    input.focus({ preventScroll: true });
  },

  choose(target, code) {
    this.closePopup();
    if (target.mode === "add") {
      window.getSelection().removeAllRanges();
      this.push({ action: "add", start: target.start, end: target.end, code,
                  text: this.data.text.slice(target.start, target.end) });
    } else {
      this.push({ action: "recode", id: target.id, code });
    }
  },

  openDetails(mark) {
    const ids = [];
    for (let m = mark; m && this.body.contains(m); m = m.parentElement.closest("mark.qc-mark")) {
      ids.push(...m.getAttribute("data-coding-ids").split(" "));
    }
    this.closePopup();
    const popup = el("div", "qc-details");
    popup.setAttribute("role", "dialog");
    const fill = () => {
      const cards = ids.map((id) => this.byId.get(id)).filter(Boolean).map((c) => this.card(c));
      if (!cards.length) return this.closePopup();
      popup.replaceChildren(...cards);
      return null;
    };
    popup.qcRefresh = fill;
    fill();
    this.place(popup, mark.getBoundingClientRect());
  },

  card(c) {
    const code = this.codes.get(c.code) || { name: c.code, color: "#888888" };
    const card = el("div", "qc-card");
    card.setAttribute("data-coding-id", String(c.id));
    const head = el("div", "qc-card-head");
    const swatch = el("span", "qc-swatch");
    swatch.style.backgroundColor = code.color;
    head.append(swatch, el("strong", null, code.name), el("span", "qc-code-id", c.code));
    const meta = [c.status, c.origin, c.coder ? `coder ${c.coder}` : null, c.rule ? `rule ${c.rule}` : null,
                  c.confidence != null ? `confidence ${Number(c.confidence).toFixed(2)}` : null];
    card.append(head, el("div", "qc-meta", meta.filter(Boolean).join(" · ")));
    const machine = MACHINE.has(c.origin);
    if (c.pending) {
      card.append(el("div", "qc-note", "Saving…"));
      return card;
    }
    if (!this.data.coder) {
      if (c.memo) card.append(el("div", "qc-memo-text", c.memo));
      card.append(this.noCoder());
      return card;
    }
    const editable = machine || c.mine;
    const actions = el("div", "qc-actions");
    const button = (label, action, extra) => {
      const b = el("button", `qc-btn qc-btn-${action}`, label);
      b.type = "button";
      b.setAttribute("data-action", action);
      b.addEventListener("click", () => {
        this.closePopup();
        this.push({ action, id: c.id, ...(extra ? extra() : {}) });
      });
      actions.append(b);
    };
    if (c.status === "suggested") {
      button("Accept", "accept");
      button("Reject", "reject");
    } else if (machine) {
      button("Reject", "reject");
    }
    if (editable) {
      const recode = el("button", "qc-btn qc-btn-recode", "Change code…");
      recode.type = "button";
      recode.setAttribute("data-action", "recode");
      recode.addEventListener("click", () => {
        const rect = card.getBoundingClientRect();
        this.openPalette({ mode: "recode", id: c.id }, rect);
      });
      actions.append(recode);
    }
    if (!machine && c.mine) button("Remove", "delete");
    card.append(actions);
    if (editable) {
      const memo = el("textarea", "qc-memo");
      memo.value = c.memo || "";
      memo.placeholder = "Memo";
      memo.rows = 2;
      memo.addEventListener("keydown", (ev) => ev.stopPropagation());
      const save = el("button", "qc-btn qc-btn-memo", "Save memo");
      save.type = "button";
      save.setAttribute("data-action", "memo");
      save.addEventListener("click", () => {
        this.closePopup();
        this.push({ action: "memo", id: c.id, memo: memo.value });
      });
      card.append(memo, save);
    } else {
      if (c.memo) card.append(el("div", "qc-memo-text", c.memo));
      card.append(el("div", "qc-note", `Coded by ${c.coder || "another coder"}: only they can change it.`));
    }
    return card;
  },

  toast(message) {
    if (!this.toastEl) {
      this.toastEl = el("div", "qc-toast");
      this.toastEl.setAttribute("role", "alert");
    }
    this.toastEl.textContent = message;
    this.root.prepend(this.toastEl);
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.toastEl.remove(), 8000);
  },
});
