// Tempora's dashboard (docs/dashboard.md): polls the daemon's JSON API
// every second and draws what it says. Read-only: it only ever GETs.
// Every text from the daemon goes into the page as text (textContent),
// never as markup.
"use strict";

(function () {
  const POLL_MS = 1000;
  const DAY_REFRESH_MS = 30000;
  const TIMEOUT_MS = 2500;
  const HOUR_S = 3600;
  const KEYS = ["offset_ns", "frequency_ppb", "delay_ns"];
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c",
    "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];

  let range = "1h";
  // name -> {kind, t: [], offset_ns: [], frequency_ppb: [], delay_ns: []}
  const hour = new Map();
  let day = null;
  let dayFetched = 0;
  let lastOk = null;
  let downSince = null;
  const plots = {};
  const colorOf = new Map();

  const $ = (id) => document.getElementById(id);

  function color(name) {
    if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length]);
    return colorOf.get(name);
  }

  function finite(v) {
    return typeof v === "number" && isFinite(v);
  }

  // The clock's estimated error: the root distance of the NTP system peer
  // (as chronyc tracking), the holdover estimate of a clock following a
  // reference clock, or for a PTP slave |offset| + mean path delay (the
  // path's asymmetry moves the time by at most the mean path delay).
  function estimatedError(st, slave) {
    const t = st.tracking;
    if (t && finite(t.estimated_error_ns)) return fmtNs(t.estimated_error_ns) + " (root distance)";
    const h = st.holdover;
    if (h && finite(h.estimated_error_ns) && h.state !== "free-run") {
      return fmtNs(h.estimated_error_ns) + " (" + h.state + ")";
    }
    if (slave && finite(st.offset_from_master_ns) && finite(st.mean_path_delay_ns)) {
      return "≤ " + fmtNs(Math.abs(st.offset_from_master_ns) + st.mean_path_delay_ns) + " (PTP)";
    }
    return h ? "— (" + h.state + ")" : "—";
  }

  function fmtNs(v) {
    if (!finite(v)) return "—";
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(3) + " s";
    if (a >= 1e6) return (v / 1e6).toFixed(3) + " ms";
    if (a >= 1e3) return (v / 1e3).toFixed(2) + " µs";
    return v.toFixed(a < 10 ? 1 : 0) + " ns";
  }

  function fmtPpb(v) {
    if (!finite(v)) return "—";
    if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(3) + " ppm";
    return v.toFixed(1) + " ppb";
  }

  function fmtDuration(s) {
    if (!finite(s)) return "—";
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
      m = Math.floor(s % 3600 / 60), sec = s % 60;
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + sec + "s";
  }

  function fmtTime(ms) {
    return new Date(ms).toLocaleTimeString();
  }

  const FORMATS = { offset_ns: fmtNs, frequency_ppb: fmtPpb, delay_ns: fmtNs };

  // A GET of the API that gives up after TIMEOUT_MS; {status, body}.
  async function getJSON(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    try {
      const r = await fetch(path, { cache: "no-store", signal: ctl.signal });
      const body = await r.json().catch(() => null);
      return { status: r.status, body };
    } finally {
      clearTimeout(timer);
    }
  }

  function lastT() {
    let m = 0;
    for (const s of hour.values()) if (s.t.length) m = Math.max(m, s.t[s.t.length - 1]);
    return m;
  }

  // Merges an answer of /api/v1/history?range=1h&since=T into `hour`.
  function mergeHour(h) {
    const seen = new Set();
    for (const s of h.series) {
      seen.add(s.source);
      let cur = hour.get(s.source);
      if (!cur) {
        cur = { kind: s.kind, t: [], offset_ns: [], frequency_ppb: [], delay_ns: [] };
        hour.set(s.source, cur);
      }
      if (!s.t.length) continue;
      let keep = cur.t.length;
      while (keep > 0 && cur.t[keep - 1] >= s.t[0]) keep--;
      for (const k of ["t", ...KEYS]) {
        cur[k].length = keep;
        for (const v of s[k]) cur[k].push(v);
      }
    }
    for (const name of [...hour.keys()]) if (!seen.has(name)) hour.delete(name);
    const end = lastT();
    for (const cur of hour.values()) {
      let drop = 0;
      while (drop < cur.t.length && cur.t[drop] <= end - HOUR_S) drop++;
      if (drop) for (const k of ["t", ...KEYS]) cur[k].splice(0, drop);
    }
  }

  // The aligned data and series of one chart: a line per series (the
  // last hour) or a mean line in a min–max band (the last day).
  function chartData(key) {
    const names = [], tables = [];
    if (range !== "24h") {
      // The last ten minutes: the hour's points from then on.
      const from = range === "10m" ? lastT() - 600 : -Infinity;
      for (const [name, s] of hour) {
        let i = 0;
        while (i < s.t.length && s.t[i] <= from) i++;
        const column = s[key].slice(i);
        if (!column.some(finite)) continue;
        names.push(name);
        tables.push([s.t.slice(i), column]);
      }
    } else if (day) {
      for (const s of day.series) {
        if (!s[key].mean.some(finite)) continue;
        names.push(s.source);
        tables.push([s.t, s[key].mean, s[key].min, s[key].max]);
      }
    }
    const data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : null;
    return { names, data };
  }

  function seriesOptions(names, fmt) {
    const series = [{}], bands = [];
    const value = (u, v) => (v == null ? "—" : fmt(v));
    for (const name of names) {
      const c = color(name);
      if (range !== "24h") {
        // The clock's line dashed: with PTP alone it lies on its port's.
        const dash = name === "clock" ? [6, 4] : undefined;
        series.push({ label: name, stroke: c, width: name === "clock" ? 2 : 1.5, dash, value, spanGaps: true, points: { show: false } });
      } else {
        const i = series.length;
        series.push({ label: name + " (mean)", stroke: c, width: 1.5, value, points: { show: false } });
        series.push({ label: "min", stroke: c + "66", width: 0.5, value, points: { show: false } });
        series.push({ label: "max", stroke: c + "66", width: 0.5, value, points: { show: false } });
        bands.push({ series: [i + 2, i + 1], fill: c + "22" });
      }
    }
    return { series, bands };
  }

  function drawChart(key) {
    const el = $("chart-" + key.split("_")[0]);
    const { names, data } = chartData(key);
    const signature = range + "|" + names.join("|");
    const old = plots[key];
    // For scripts and the browser test: the drawn values per series.
    const counts = {};
    names.forEach((name, i) => {
      const column = data[range !== "24h" ? i + 1 : 3 * i + 1];
      counts[name] = column.filter(finite).length;
    });
    el.dataset.points = String(Object.values(counts).reduce((a, b) => a + b, 0));
    el.dataset.counts = JSON.stringify(counts);
    el.dataset.series = String(names.length);
    if (!data) {
      if (old) { old.plot.destroy(); delete plots[key]; }
      let note = el.querySelector(".nodata");
      if (!note) {
        note = document.createElement("p");
        note.className = "nodata muted";
        el.appendChild(note);
      }
      note.textContent = "No data yet.";
      return;
    }
    const note = el.querySelector(".nodata");
    if (note) note.remove();
    if (old && old.signature === signature) {
      old.plot.setData(data);
      return;
    }
    if (old) old.plot.destroy();
    const fmt = FORMATS[key];
    const { series, bands } = seriesOptions(names, fmt);
    const opts = {
      width: Math.max(300, el.clientWidth - 4),
      height: 220,
      series,
      bands,
      // At least a minute (an hour for the day's chart) wide, so that a
      // young history is not stretched to sub-second ticks.
      scales: { x: { time: true, range: (u, min, max) => [Math.min(min, max - minSpan()), max] } },
      axes: [{}, { size: 90, values: (u, vals) => vals.map(fmt) }],
      legend: { live: true },
    };
    plots[key] = { plot: new uPlot(opts, data, el), signature };
  }

  function minSpan() {
    return range !== "24h" ? 60 : 3600;
  }

  function drawCharts() {
    for (const key of KEYS) drawChart(key);
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "—" : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function fillTable(id, rows, empty, columns) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell(tr, empty, "muted");
      td.colSpan = columns;
      body.appendChild(tr);
      return;
    }
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const [text, cls] of r) cell(tr, text, cls);
      body.appendChild(tr);
    }
  }

  function counters(list) {
    const shown = (list || []).filter(([, n]) => n > 0).map(([k, n]) => k + " " + n);
    return shown.length ? shown.join(", ") : "none";
  }

  function renderPorts(st) {
    const rows = (st.ports || []).map((p) => {
      const following = p.state === "SLAVE" || p.state === "UNCALIBRATED";
      return [
        [p.number], [p.interface], [p.transport],
        [p.state, "state state-" + p.state.toLowerCase()],
        [following ? st.parent : "—"],
        [st.grandmaster],
        [following ? st.steps_removed : "—"],
        [counters(p.rx)], [counters(p.tx)],
        [p.rx_errors + (p.rx_auth_failures ? " (" + p.rx_auth_failures + " authentication)" : "")],
      ];
    });
    fillTable("ports", rows, "No PTP ports.", 10);
  }

  // One row per source of the system process, with what its own kind
  // tells (reach, stratum, jitter); without a system process, the NTP,
  // CSPTP and reference clock sources as they are.
  function renderSources(st) {
    const ntp = new Map((st.ntp_sources || []).map((s) => ["ntp:" + s.address, s]));
    const csptp = new Map((st.csptp_sources || []).map((s) => ["csptp:" + s.address, s]));
    const refclocks = new Map((st.refclocks || []).map((s) => ["refclock:" + s.name, s]));
    const rows = (st.sources && st.sources.length ? st.sources : ptpAlone(st)).map((s) => {
      const d = ntp.get(s.name) || csptp.get(s.name) || refclocks.get(s.name) || ptpDetail(st, s.name);
      const reach = finite(d.reach) ? d.reach.toString(8) : null;
      let selection = s.selection;
      if (d.unusable) selection += " (" + d.unusable + ")";
      if (d.timing_loop) selection += " (timing loop)";
      return [
        [d.name && d.name !== s.name ? d.name + " (" + s.name + ")" : s.name],
        [s.kind], [d.address || d.from || s.address || null], [reach], [d.stratum],
        [fmtNs(s.offset_ns)], [fmtNs(s.delay_ns)], [fmtNs(d.jitter_ns)],
        [selection, "selection selection-" + s.selection],
      ];
    });
    fillTable("sources", rows, "No sources: no port follows a master and no NTP, CSPTP or reference clock source is configured.", 9);
  }

  // A PTP port as a source: its parent while it follows one.
  function ptpDetail(st, name) {
    const p = (st.ports || []).find((p) => "ptp:port" + p.number === name);
    const following = p && (p.state === "SLAVE" || p.state === "UNCALIBRATED");
    return following ? { address: st.parent } : {};
  }

  // Without a system process (PTP alone) the port following a master is
  // the one source, steering the clock.
  function ptpAlone(st) {
    return (st.ports || [])
      .filter((p) => p.state === "SLAVE" || p.state === "UNCALIBRATED")
      .map((p) => ({
        name: "ptp:port" + p.number,
        kind: "ptp",
        selection: "selected",
        offset_ns: st.offset_from_master_ns,
        delay_ns: st.mean_path_delay_ns,
        address: st.parent,
      }));
  }

  function flatten(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === "number") out.push(prefix + k + " " + v);
      else if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, prefix + k + ".", out);
    }
    return out;
  }

  function renderServers(st) {
    const servers = [
      ["NTP server", st.ntp_server], ["NTS-KE server", st.nts_ke],
      ["CSPTP server", st.csptp_server], ["Roughtime server", st.roughtime_server],
      ["CSPTP client", st.csptp_client],
    ].filter(([, c]) => c);
    const rows = servers.map(([name, c]) => [[name], [flatten(c, "", []).join(", ")]]);
    fillTable("servers", rows, "No NTP, NTS-KE, CSPTP or Roughtime server configured.", 2);
  }

  function renderSummary(st) {
    $("identity").textContent = "clock " + st.identity;
    const servo = $("servo-state");
    servo.textContent = st.servo_state;
    servo.className = "value servo-" + st.servo_state;
    $("clock-kind").textContent = st.clock;
    // What the clock follows: the system peer, or with PTP alone the port
    // following a master (as the history's `clock` series).
    const peer = (st.sources && st.sources.length ? st.sources : ptpAlone(st))
      .find((s) => s.selection === "selected");
    $("clock-offset").textContent = fmtNs(peer ? peer.offset_ns : null);
    $("clock-frequency").textContent = fmtPpb(st.frequency_ppb);
    $("clock-delay").textContent = fmtNs(peer ? peer.delay_ns : null);
    const slave = (st.ports || []).find((p) => p.state === "SLAVE");
    $("clock-error").textContent = estimatedError(st, slave);
    $("following").textContent = st.selected_source || (slave ? "ptp:port" + slave.number : "nothing");
    $("steps").textContent = st.steps + " · " + st.measurements;
    $("uptime").textContent = fmtDuration(st.uptime_s);
    const notes = [];
    if (finite(st.error_vs_system_ns)) notes.push("virtual clock − system clock: " + fmtNs(st.error_vs_system_ns));
    if (finite(st.system_clock_offset_ns)) notes.push("system clock offset: " + fmtNs(st.system_clock_offset_ns));
    if (st.master_sanity && st.master_sanity.holding) notes.push("master sanity gate: holding a master back");
    if (st.master_sanity && st.master_sanity.utc_offset_holding) notes.push("UTC offset gate: holding a change back");
    if (st.leap_seconds && st.leap_seconds.pending && st.leap_seconds.pending !== "none") notes.push("leap second pending: " + st.leap_seconds.pending);
    $("servo-notes").textContent = notes.join(" · ");
  }

  function setState(state, detail) {
    document.body.dataset.state = state;
    const c = $("connection");
    c.className = "connection connection-" + state;
    const banner = $("unreachable");
    if (state === "unreachable") {
      if (downSince === null) downSince = Date.now();
      c.textContent = "daemon unreachable";
      banner.hidden = false;
      $("unreachable-detail").textContent = "Since " + fmtTime(downSince) +
        (lastOk ? "; last answer at " + fmtTime(lastOk) : "; no answer yet") +
        (detail ? " (" + detail + ")." : ".");
      return;
    }
    downSince = null;
    banner.hidden = true;
    c.textContent = state === "live" ? "live · " + fmtTime(lastOk) : "waiting for the first status…";
  }

  async function poll() {
    const status = await getJSON("api/v1/status");
    if (status.status === 503) {
      lastOk = Date.now();
      setState("waiting");
      return;
    }
    if (status.status !== 200 || !status.body) throw new Error("status: HTTP " + status.status);
    const since = lastT();
    const h = await getJSON("api/v1/history?range=1h" + (since ? "&since=" + since : ""));
    if (h.status !== 200 || !h.body) throw new Error("history: HTTP " + h.status);
    mergeHour(h.body);
    if (range === "24h" && Date.now() - dayFetched > DAY_REFRESH_MS) {
      const d = await getJSON("api/v1/history?range=24h");
      if (d.status !== 200 || !d.body) throw new Error("history: HTTP " + d.status);
      day = d.body;
      dayFetched = Date.now();
    }
    lastOk = Date.now();
    renderSummary(status.body);
    renderPorts(status.body);
    renderSources(status.body);
    renderServers(status.body);
    drawCharts();
    setState("live");
  }

  async function loop() {
    try {
      await poll();
    } catch (e) {
      setState("unreachable", e && e.name === "AbortError" ? "timed out" : e && e.message);
    }
    setTimeout(loop, POLL_MS);
  }

  const RANGE_LABELS = {
    "10m": "(last 10 minutes, 1 s points, your local time)",
    "1h": "(last hour, 1 s points, your local time)",
    "24h": "(last 24 hours, 1 min mean with min–max band, your local time)",
  };

  function setRange(r) {
    range = r;
    for (const k of Object.keys(RANGE_LABELS)) $("range-" + k).classList.toggle("active", r === k);
    $("range-label").textContent = RANGE_LABELS[r];
    // The range in the address (#10m, #1h, #24h): a link or a reload keeps it.
    history.replaceState(null, "", "#" + r);
    dayFetched = 0;
    drawCharts();
  }

  $("range-10m").addEventListener("click", () => setRange("10m"));
  $("range-1h").addEventListener("click", () => setRange("1h"));
  $("range-24h").addEventListener("click", () => setRange("24h"));
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const key of Object.keys(plots)) {
        plots[key].plot.destroy();
        delete plots[key];
      }
      drawCharts();
    }, 200);
  });
  const initial = location.hash.slice(1);
  if (Object.prototype.hasOwnProperty.call(RANGE_LABELS, initial)) setRange(initial);
  loop();
})();
