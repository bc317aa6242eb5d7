// hftsim dashboard: renders the snapshots the server pushes with server-sent events.
"use strict";
(function () {
  const HISTORY = 240;
  const state = { updates: 0, last: null, firstRenderMs: null, stage: null, times: [], history: [], arrivals: [] };
  window.hftsim = state;
  const $ = (id) => document.getElementById(id);
  const fmtInt = (v) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : Math.round(v).toLocaleString("en-US");
  const fmtUs = (ns) => (ns === null || ns === undefined) ? "–" : (ns / 1000).toFixed(ns < 10000 ? 2 : 1);
  const fmtNum = (v) => (v === null || v === undefined) ? "–" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 });

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }
  function row(cells, attrs) {
    const tr = document.createElement("tr");
    cells.forEach((c) => tr.appendChild(c));
    if (attrs) Object.entries(attrs).forEach(([k, v]) => tr.setAttribute(k, v));
    return tr;
  }
  function fill(tbody, rows) { tbody.replaceChildren(...rows); }

  function drawChart(canvas, series, colors, labels) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, padL = 56, padB = 16, padT = 6;
    ctx.clearRect(0, 0, w, h);
    let max = 0;
    series.forEach((s) => s.forEach((v) => { if (v !== null && v > max) max = v; }));
    if (max <= 0) max = 1;
    ctx.strokeStyle = "#2d3742"; ctx.fillStyle = "#8b98a5"; ctx.font = "10px sans-serif"; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = padT + (h - padT - padB) * i / 4;
      ctx.beginPath(); ctx.moveTo(padL, y); ctx.lineTo(w, y); ctx.stroke();
      const tick = max * (1 - i / 4);
      ctx.fillText(max >= 100 ? fmtInt(tick) : fmtNum(tick), 2, y + 3);
    }
    const n = Math.max(...series.map((s) => s.length), 2);
    series.forEach((s, k) => {
      ctx.strokeStyle = colors[k]; ctx.lineWidth = 1.5; ctx.beginPath();
      let started = false;
      s.forEach((v, i) => {
        if (v === null) { started = false; return; }
        const x = padL + (w - padL) * i / (n - 1), y = padT + (h - padT - padB) * (1 - v / max);
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      });
      ctx.stroke();
      ctx.fillStyle = colors[k]; ctx.fillText(labels[k], padL + 6 + 60 * k, h - 3);
    });
  }

  function renderLatency(snap) {
    const lat = snap.latency || {};
    const stages = Object.keys(lat);
    const select = $("stage");
    if (select.options.length !== stages.length) {
      select.replaceChildren(...stages.map((s) => { const o = document.createElement("option"); o.value = o.textContent = s; return o; }));
      const preferred = stages.find((s) => s === "end_to_end" && lat[s].count) || stages.find((s) => lat[s].count) || stages[0];
      if (preferred) select.value = state.stage || preferred;
    }
    state.stage = select.value || null;
    fill($("latency-table").tBodies[0], stages.map((s) => {
      const v = lat[s];
      return row([cell(s), cell(fmtInt(v.count)), cell(fmtUs(v.p50_ns)), cell(fmtUs(v.p99_ns)), cell(fmtUs(v.p999_ns)), cell(fmtUs(v.max_ns))],
                 { "data-stage": s });
    }));
  }

  function renderBook(snap) {
    const book = snap.book, body = $("ladder").tBodies[0];
    if (!book) { fill(body, [row([cell("no book", "")])]); return; }
    $("book-symbol").textContent = book.symbol;
    const asks = (book.asks || []).slice(0, 10).reverse(), bids = (book.bids || []).slice(0, 10);
    const rows = asks.map((a) => row([cell(""), cell(""), cell(fmtInt(a[0]), "px"), cell(fmtInt(a[1]), "ask"), cell(a[2] === null ? "" : fmtInt(a[2]), "ask")], { "data-side": "ask" }));
    const spread = (bids.length && asks.length) ? asks[asks.length - 1][0] - bids[0][0] : null;
    rows.push(row([cell(""), cell(""), cell(spread === null ? "one-sided" : "spread " + fmtInt(spread)), cell(""), cell("")], { class: "spread" }));
    bids.forEach((b) => rows.push(row([cell(b[2] === null ? "" : fmtInt(b[2]), "bid"), cell(fmtInt(b[1]), "bid"), cell(fmtInt(b[0]), "px"), cell(""), cell("")], { "data-side": "bid" })));
    fill(body, rows);
  }

  function renderTrades(snap) {
    fill($("trades").tBodies[0], (snap.trades || []).slice(0, 12).map((t) => {
      const side = t[3] > 0 ? "buy" : "sell";
      return row([cell((t[0] / 1e9).toFixed(6)), cell(fmtInt(t[1]), side), cell(fmtInt(t[2])), cell(side, side)]);
    }));
  }

  function renderBacklog(snap) {
    const backlog = snap.backlog || {}, consumers = snap.consumers || {};
    const max = Math.max(1, ...Object.values(backlog));
    $("backlog").replaceChildren(...Object.entries(backlog).map(([q, n]) => {
      const div = document.createElement("div"); div.className = "queue"; div.setAttribute("data-queue", q);
      const name = document.createElement("span"); name.textContent = q;
      const bar = document.createElement("div"); bar.className = "bar"; bar.style.width = (100 * n / max) + "%";
      const num = document.createElement("span"); num.className = "num";
      num.textContent = fmtInt(n) + " msgs" + (q in consumers ? " · " + consumers[q] + " cons." : "");
      div.append(name, bar, num); return div;
    }));
    $("decisions").replaceChildren(...(snap.decisions || []).slice(0, 20).map((d) => {
      const li = document.createElement("li"); li.className = d.action;
      li.textContent = `${d.queue}: ${d.action} ${d.consumers_before}→${d.consumers_after} (${d.reason})`;
      return li;
    }));
  }

  function renderTables(snap) {
    fill($("pnl").tBodies[0], Object.entries(snap.pnl || {}).map(([a, v]) => row([cell(a), cell(fmtNum(v))], { "data-agent": a })));
    fill($("counters").tBodies[0], Object.entries(snap.counters || {}).map(([k, v]) => {
      const value = cell(fmtInt(v)); value.setAttribute("data-counter", k);
      return row([cell(k), value]);
    }));
  }

  function pushHistory(snap) {
    const th = snap.throughput || {};
    state.history.push({ c: th.commands_per_s ?? null, e: th.events_per_s ?? null, t: th.trades_per_s ?? null,
                         latency: snap.latency || {} });
    if (state.history.length > HISTORY) state.history.shift();
    redraw();
  }

  function redraw() {
    const h = state.history;
    drawChart($("throughput-chart"), [h.map((p) => p.c), h.map((p) => p.e), h.map((p) => p.t)],
              ["#58a6ff", "#3fb950", "#d29922"], ["commands", "events", "trades"]);
    const pick = (p, key) => { const v = (p.latency[state.stage] || {})[key]; return v === null || v === undefined ? null : v / 1000; };
    drawChart($("latency-chart"), [h.map((p) => pick(p, "p50_ns")), h.map((p) => pick(p, "p99_ns")), h.map((p) => pick(p, "p999_ns"))],
              ["#58a6ff", "#d29922", "#f85149"], ["p50", "p99", "p99.9"]);
  }

  function render(snap) {
    if (!snap || (state.last && snap.seq === state.last.seq)) return;
    if (snap.error) { $("status").textContent = snap.error; $("status").className = "status bad"; }
    state.last = snap;
    state.updates += 1;
    const now = performance.now();
    if (state.firstRenderMs === null) state.firstRenderMs = now;
    state.arrivals.push(now);
    while (state.arrivals.length && now - state.arrivals[0] > 2000) state.arrivals.shift();
    $("title").textContent = snap.title || "hftsim";
    $("mode").textContent = snap.finished ? snap.mode + " · finished" : (snap.mode || "live");
    $("seq").textContent = snap.seq;
    $("updates").textContent = state.updates;
    $("rate").textContent = (state.arrivals.length / 2).toFixed(1);
    $("t").textContent = (snap.t_s ?? 0).toFixed(1);
    const th = snap.throughput || {};
    $("commands-per-s").textContent = fmtInt(th.commands_per_s);
    $("events-per-s").textContent = fmtInt(th.events_per_s);
    $("trades-per-s").textContent = fmtInt(th.trades_per_s);
    renderLatency(snap); renderBook(snap); renderTrades(snap); renderBacklog(snap); renderTables(snap);
    pushHistory(snap);
  }

  $("stage").addEventListener("change", (e) => { state.stage = e.target.value; redraw(); });
  if (window.HFTSIM_INITIAL) render(window.HFTSIM_INITIAL);
  const source = new EventSource("/events");
  source.onopen = () => { $("status").textContent = "live"; $("status").className = "status ok"; };
  source.onerror = () => { $("status").textContent = "reconnecting…"; $("status").className = "status bad"; };
  source.onmessage = (e) => render(JSON.parse(e.data));
})();
