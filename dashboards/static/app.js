/* Shared renderer of every dashboards page (shipped once as assets/app.js).
   A page embeds its data and widget specs as JSON (<script id="page-data">); this script draws
   the widgets and redraws them when the date range or a page-wide filter changes, all in the
   browser: no server, no network. Daily tables are long: {d: [date index], g: [group],
   c: {column: [values]}, f: {filter dimension: [values]}}, date indexes point into DATA.dates
   (every day of marts.kpi_daily, oldest first). */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const N = DATA.dates.length;
  const RANGES = ["7", "28", "90", "all"];
  const PLOT_CONFIG = { displayModeBar: false, responsive: true };
  const COLORS = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];

  // ---- formatting -------------------------------------------------------------------------
  const CUR = (DATA.meta && DATA.meta.currency) || { code: "", symbol: "" };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const DAY_MS = 86400000;
  const INDEX = new Map(DATA.dates.map((d, i) => [d, i]));
  function utc(iso) { return new Date(iso + "T00:00:00Z"); }
  function isoOf(t) { return new Date(t).toISOString().slice(0, 10); }
  function dayText(iso, weekday) {
    const t = utc(iso);
    return (weekday ? WEEKDAYS[t.getUTCDay()] + " " : "") + t.getUTCDate() + " " + MONTHS[t.getUTCMonth()];
  }
  function spanText(a, b) { // "10 Oct – 6 Nov" (one day: "Tue 26 Nov")
    return a === b ? dayText(DATA.dates[a], true) : dayText(DATA.dates[a]) + " – " + dayText(DATA.dates[b]);
  }
  const nf0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const nf1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const nf2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function fmt(v, kind) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (typeof v === "string") return v;
    switch (kind) {
      case "pct": return nf1.format(v * 100) + " %";
      case "int": return nf0.format(v);
      case "money": return (v < 0 ? "−" : "") + CUR.symbol + nf0.format(Math.abs(v));
      case "x": return nf2.format(v) + "×";
      case "min": return nf0.format(v) + " min";
      case "ms": return nf0.format(v) + " ms";
      case "num2": return nf2.format(v);
      case "g": return Math.abs(v) >= 100 ? nf0.format(v) : Math.abs(v) >= 1 ? nf2.format(v) : Number(v.toPrecision(3)).toString();
      case "p": return v < 0.001 ? "< 0.001" : v.toFixed(3);
      default: return String(v);
    }
  }
  function change(cur, prev) {
    if (cur === null || prev === null || prev === 0) return null;
    return cur / prev - 1;
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }

  // ---- ranges and aggregation -------------------------------------------------------------
  // a range: "7", "28", "90", "all" (ending on the last day), or "c:FROM:TO" (custom, ISO dates)
  function custom(range) {
    const m = /^c:(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})$/.exec(range);
    return m ? [m[1] <= m[2] ? m[1] : m[2], m[1] <= m[2] ? m[2] : m[1]] : null;
  }
  function span(range) { // [lo, hi] date indexes of the chosen range (inclusive)
    const c = custom(range);
    if (c) { // the data days inside [from, to]; none: the nearest day
      let lo = DATA.dates.findIndex((d) => d >= c[0]);
      if (lo < 0) lo = N - 1;
      let hi = lo;
      while (hi + 1 < N && DATA.dates[hi + 1] <= c[1]) hi++;
      return [lo, hi];
    }
    const days = range === "all" ? N : Math.min(Number(range), N);
    return [N - days, N - 1];
  }
  const PRESET_ONLY = "this table is computed for the ranges 7, 28, 90 days and All: choose one of them to see it";

  // ---- page-wide filters ------------------------------------------------------------------
  // DATA.filters: [{dim, label, values}]; ACTIVE: the chosen value of each (absent: all). A daily
  // table is cut through its f columns, a table's rows through `match` (a column holding the
  // dimension) or `sliced` (rows computed per value: by_<dim> null on the whole shop's rows).
  const FILTERS = DATA.filters || [];
  let ACTIVE = {};
  function keepRow(t, i) {
    if (!t.f) return true;
    for (const dim in ACTIVE) if (t.f[dim] && t.f[dim][i] !== ACTIVE[dim]) return false;
    return true;
  }
  function cutBy(w) { // the filter dimensions a widget's numbers can be cut by
    if (w.table) return Object.keys(DATA.tables[w.table].f || {});
    return [...Object.keys(w.match || {}), ...(w.sliced || [])];
  }
  function filterRows(w, rows) {
    for (const dim of w.sliced || []) rows = rows.filter((r) => r["by_" + dim] === (ACTIVE[dim] === undefined ? null : ACTIVE[dim]));
    for (const [dim, col] of Object.entries(w.match || {})) {
      if (ACTIVE[dim] !== undefined) rows = rows.filter((r) => r[col] === ACTIVE[dim]);
    }
    return w.top ? rows.slice(0, w.top) : rows; // a top-N list holds its first N rows, not more
  }

  function inGroup(g, group) { return group instanceof Set ? group.has(g) : g === group; }
  function aggregate(table, spec, lo, hi, group) {
    // Σ num / Σ den over the rows in [lo, hi] (of one group when given); days where a value is
    // null are left out of both sums, so a ratio is never mixed with missing days.
    const t = DATA.tables[table];
    const num = t.c[spec.num], den = spec.den ? t.c[spec.den] : null;
    let a = 0, b = 0, seen = false;
    for (let i = 0; i < t.d.length; i++) {
      const d = t.d[i];
      if (d < lo || d > hi || (group !== undefined && !inGroup(t.g[i], group)) || !keepRow(t, i)) continue;
      const x = num[i], y = den ? den[i] : 1;
      if (x === null || y === null) continue;
      a += x; b += y; seen = true;
    }
    if (!seen) return null;
    if (!den) return a * (spec.scale || 1);
    return b === 0 ? null : (a / b) * (spec.scale || 1);
  }
  function daily(table, spec, lo, hi, group) { // one value per day of [lo, hi]
    const xs = [], ys = [];
    for (let d = lo; d <= hi; d++) { xs.push(DATA.dates[d]); ys.push(null); }
    const t = DATA.tables[table];
    const num = t.c[spec.num], den = spec.den ? t.c[spec.den] : null;
    const sums = new Map();
    for (let i = 0; i < t.d.length; i++) {
      const d = t.d[i];
      if (d < lo || d > hi || (group !== undefined && !inGroup(t.g[i], group)) || !keepRow(t, i)) continue;
      if (num[i] === null || (den && den[i] === null)) continue;
      const s = sums.get(d) || [0, 0];
      s[0] += num[i]; s[1] += den ? den[i] : 1;
      sums.set(d, s);
    }
    for (const [d, [a, b]] of sums) ys[d - lo] = den ? (b === 0 ? null : (a / b) * (spec.scale || 1)) : a * (spec.scale || 1);
    return { x: xs, y: ys };
  }
  function groups(table) { // the groups with rows under the active filters
    const t = DATA.tables[table];
    if (!t.f || !Object.keys(ACTIVE).some((dim) => t.f[dim])) return t.groups;
    const kept = new Set();
    for (let i = 0; i < t.d.length; i++) if (keepRow(t, i)) kept.add(t.g[i]);
    return t.groups.filter((g) => kept.has(g));
  }

  // ---- widgets ----------------------------------------------------------------------------
  function layout(extra) {
    return Object.assign({
      margin: { t: 10, r: 10, b: 40, l: 55 }, height: 320, colorway: COLORS,
      legend: { orientation: "h", y: -0.18 }, font: { size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { automargin: true }, yaxis: { automargin: true, rangemode: "tozero" },
    }, extra || {});
  }
  function axisFormat(kind) {
    return kind === "pct" ? { tickformat: ".1%" } : kind === "x" ? { ticksuffix: "×" } : kind === "money" ? { tickprefix: CUR.symbol } : {};
  }

  function changeHtml(cur, prev, card) {
    const ch = change(cur, prev);
    if (ch === null) return ["flat", ""];
    const cls = (ch >= 0) === !card.lower_is_better ? "up" : "down";
    return [cls, (ch >= 0 ? "▲ " : "▼ ") + nf1.format(Math.abs(ch) * 100) + " %"];
  }
  function yearBefore(a, b) { // [i0, i1] of the same days 52 weeks earlier, when the data reaches back that far
    const start = isoOf(utc(DATA.dates[a]) - 364 * DAY_MS), end = isoOf(utc(DATA.dates[b]) - 364 * DAY_MS);
    if (DATA.dates[0] > start) return null;
    let i0 = null, i1 = null;
    for (let i = 0; i < N && DATA.dates[i] <= end; i++) {
      if (DATA.dates[i] >= start) { if (i0 === null) i0 = i; i1 = i; }
    }
    return i0 === null ? null : [i0, i1];
  }
  function periodCell(w, card, text, key, a, b, main) {
    const cur = aggregate(w.table, card, a, b);
    let prev = null, vs;
    if (key === "1") { // the last day against the same weekday a week before
      const week = isoOf(utc(DATA.dates[b]) - 7 * DAY_MS);
      const i = INDEX.get(week);
      prev = i === undefined ? null : aggregate(w.table, card, i, i);
      vs = i === undefined ? "no data on " + dayText(week, true) + " to compare" : "vs " + dayText(week, true);
    } else {
      const n = b - a + 1;
      prev = a - n >= 0 ? aggregate(w.table, card, a - n, a - 1) : null;
      vs = a - n >= 0 ? "vs " + spanText(a - n, a - 1) : "no earlier days to compare";
    }
    const [cls, chText] = changeHtml(cur, prev, card);
    let extra = "";
    const year = yearBefore(a, b);
    if (year) {
      const [ycls, ytext] = changeHtml(cur, aggregate(w.table, card, year[0], year[1]), card);
      if (ytext) extra += `<span class="yoy ${ycls}">${ytext} vs a year before (${spanText(year[0], year[1])})</span>`;
    }
    let provisional = false;
    if (card.provisional) {
      // the days of the span flagged open (a table split by a dimension flags each of its rows)
      const open = daily(w.table, { num: card.provisional }, a, b).y.filter((v) => v > 0).length;
      if (open > 0) {
        provisional = true;
        const days = b - a + 1;
        const why = `${open} of these ${days} day(s) are within the refund window: ${card.provisional_why}`;
        extra += `<span class="prov" title="${esc(why)}">provisional</span>`;
      }
    }
    return `<div class="period${main ? " main" : ""}${provisional ? " provisional" : ""}" data-period="${key}" data-value="${cur === null ? "" : cur}">` +
      `<span class="plabel">${text}</span><span class="value">${fmt(cur, card.fmt)}</span>` +
      `<span class="change ${cls}">${chText}</span><span class="vs">${esc(vs)}</span>${extra}</div>`;
  }

  function targetLine(card) { // the month's target: how far along, the pace, the projection
    const t = card.target;
    if (t.pace === null || t.pace === undefined) {
      return `<div class="target" data-target="${t.target}">${esc(t.month)} target ${fmt(t.target, card.fmt)}: the month has not begun</div>`;
    }
    const track = t.on_track === null ? "" : t.on_track ? " · on track" : " · off track";
    const why = `${t.days_elapsed} of ${t.days_in_month} days; pace = actual / expected by now; projected: where the month ends at this rate`;
    return `<div class="target ${t.on_track === false ? "off" : "on"}" data-target="${t.target}" data-pace="${t.pace}" title="${esc(why)}">` +
      `${esc(t.month)} target ${fmt(t.target, card.fmt)}: ${fmt(t.actual_to_date, card.fmt)} so far, pace ${nf0.format(t.pace * 100)} %, ` +
      `projected ${fmt(t.projected, card.fmt)}${track}</div>`;
  }

  function drawCards(w, el, range) {
    const [lo, hi] = span(range);
    const days = hi - lo + 1;
    const label = range === "all" ? `all ${days} days` : custom(range) ? `${days} days` : `last ${days} days`;
    let html = "";
    for (const card of w.cards) {
      // the chosen range, then fixed periods; with fewer days of data the label says how many there are
      let cells = periodCell(w, card, `${label} (${spanText(lo, hi)})`, "range", lo, hi, true);
      for (const p of [1, 7, 28]) {
        cells += periodCell(w, card, p === 1 ? `last day (${dayText(DATA.dates[N - 1], true)})` : `last ${Math.min(p, N)} days`, String(p), Math.max(0, N - p), N - 1, false);
      }
      if (card.target) cells += targetLine(card);
      const unit = card.fmt === "money" && CUR.code ? ` (${CUR.code})` : "";
      const defined = card.definition ? ` title="${esc(card.label + ": " + card.definition)}"` : "";
      html += `<section class="card" data-kpi="${card.key}"><h3${defined}>${esc(card.label + unit)}${card.definition ? ' <span class="info" aria-hidden="true">i</span>' : ""}</h3>${cells}<div class="spark" id="spark-${card.key}"></div></section>`;
    }
    el.innerHTML = `<div class="cardgrid">${html}</div>`;
    for (const card of w.cards) {
      const s = daily(w.table, card, lo, hi);
      Plotly.react(`spark-${card.key}`, [{ x: s.x, y: s.y, type: "scatter", mode: "lines", line: { width: 1.5, color: COLORS[0] }, fill: "tozeroy", fillcolor: "rgba(37,99,235,.08)", hoverinfo: "x+y" }],
        { margin: { t: 2, r: 2, b: 2, l: 2 }, height: 44, xaxis: { visible: false }, yaxis: { visible: false }, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" },
        { staticPlot: true, responsive: true });
    }
  }

  function plotDiv(el, w) {
    if (!el.querySelector(".chart")) el.innerHTML = `<h2>${esc(w.title)}</h2>${w.note ? `<p class="note">${esc(w.note)}</p>` : ""}<div class="chart" id="chart-${w.id}"></div>`;
    return `chart-${w.id}`;
  }

  function drawLine(w, el, range) {
    const [lo, hi] = span(range);
    const traces = [];
    const kind = w.kind || "line";
    for (const s of w.series) {
      let gs = s.split ? groups(w.table) : [s.group];
      const names = new Map();
      if (s.split && w.top && gs.length > w.top + 1) { // the top groups by volume over the range, the rest as one line
        const volume = (g) => aggregate(w.table, { num: s.den || s.num }, lo, hi, g) || 0;
        const ranked = [...gs].sort((a, b) => volume(b) - volume(a) || (a < b ? -1 : 1));
        const rest = new Set(ranked.slice(w.top));
        gs = [...ranked.slice(0, w.top), rest];
        names.set(rest, `others (${rest.size})`);
      }
      for (const g of gs) {
        const v = daily(w.table, s, lo, hi, g);
        const name = s.split ? names.get(g) || g : s.name;
        const tr = kind === "bar" ? { type: "bar", x: v.x, y: v.y, name } : { type: "scatter", mode: "lines", x: v.x, y: v.y, name, line: { width: 2 }, connectgaps: true };
        if (s.yaxis) tr.yaxis = s.yaxis;
        traces.push(tr);
      }
    }
    const extra = { barmode: w.barmode || "group", yaxis: Object.assign({ automargin: true, rangemode: "tozero" }, axisFormat(w.fmt)) };
    if (w.y2fmt) extra.yaxis2 = Object.assign({ overlaying: "y", side: "right", rangemode: "tozero", showgrid: false, automargin: true }, axisFormat(w.y2fmt));
    Plotly.react(plotDiv(el, w), traces, layout(extra), PLOT_CONFIG);
  }

  function drawBars(w, el, range) { // Σ over the range, one bar per group and measure
    const [lo, hi] = span(range);
    const gs = groups(w.table);
    const traces = w.measures.map((m) => ({
      type: "bar", name: m.name, x: gs, y: gs.map((g) => aggregate(w.table, m, lo, hi, g)),
      text: gs.map((g) => fmt(aggregate(w.table, m, lo, hi, g), w.fmt)), textposition: w.measures.length > 1 ? "none" : "auto", hoverinfo: "x+text+name",
    }));
    // values that span more than 20x (one channel's ROAS of 500x beside others of 2x) on a log axis,
    // so the small bars stay readable; the chart says so
    const ys = traces.flatMap((t) => t.y).filter((v) => v !== null && v > 0);
    const logScale = Boolean(w.auto_log) && ys.length > 1 && Math.max(...ys) / Math.min(...ys) > 20;
    const extra = { barmode: "group", yaxis: Object.assign({ automargin: true }, axisFormat(w.fmt), logScale ? { type: "log" } : {}) };
    if (logScale) extra.annotations = [{ text: "log scale: values span more than 20×", xref: "paper", yref: "paper", x: 0, y: 1.06, showarrow: false, font: { size: 11, color: "#6b7280" } }];
    Plotly.react(plotDiv(el, w), traces, layout(extra), PLOT_CONFIG);
  }

  function drawForecast(w, el, range) {
    const [lo, hi] = span(range);
    const traces = w.series.map((s) => { const v = daily(w.table, s, lo, hi); return { type: "scatter", mode: "lines", name: s.name, x: v.x, y: v.y }; });
    const f = w.forecast;
    if (f.x.length) {
      // the forecast line and its band start at the last actual GMV, so the eye follows the line
      // from what happened into what is expected (its first forecast day may sit far off a low day)
      const actual = traces[0];
      const last = actual && actual.x.length ? actual.x.length - 1 : -1;
      const joined = last >= 0 && actual.y[last] !== null && actual.x[last] < f.x[0];
      const x = joined ? [actual.x[last], ...f.x] : f.x;
      const at = (ys) => (joined ? [actual.y[last], ...ys] : ys);
      traces.push({ type: "scatter", mode: "lines", x: x.concat([...x].reverse()), y: at(f.upper).concat([...at(f.lower)].reverse()), fill: "toself", fillcolor: "rgba(37,99,235,.15)", line: { width: 0 }, name: "80 % interval", hoverinfo: "skip" });
      traces.push({ type: "scatter", mode: "lines", x, y: at(f.y), name: "GMV forecast", line: { dash: "dash", color: COLORS[0] } });
    }
    Plotly.react(plotDiv(el, w), traces, layout(), PLOT_CONFIG);
  }

  function drawStaticBars(w, el) { // fixed data, not cut by the range
    const traces = w.series.map((s) => ({ type: "bar", name: s.name, x: w.x, y: s.y, yaxis: s.yaxis, offsetgroup: s.name,
      text: s.y.map((v) => fmt(v, s.yaxis === "y2" ? w.y2fmt : w.fmt)), textposition: w.series.length > 1 ? "none" : "auto", hoverinfo: "x+text+name" }));
    const extra = { barmode: "group", yaxis: Object.assign({ automargin: true }, axisFormat(w.fmt)) };
    if (w.y2fmt) extra.yaxis2 = Object.assign({ overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", automargin: true }, axisFormat(w.y2fmt));
    Plotly.react(plotDiv(el, w), traces, layout(extra), PLOT_CONFIG);
  }

  function drawHeatmap(w, el) {
    const trace = { type: "heatmap", x: w.x, y: w.y, z: w.z, colorscale: [[0, "#eff6ff"], [0.5, "#60a5fa"], [1, "#1e3a8a"]], zmin: 0,
      texttemplate: "%{z:.1%}", hovertemplate: "cohort %{y}, month +%{x}: %{z:.1%}<extra></extra>", colorbar: { tickformat: ".0%" } };
    Plotly.react(plotDiv(el, w), [trace], layout({ xaxis: { title: { text: w.xtitle }, dtick: 1, automargin: true }, yaxis: { type: "category", automargin: true, autorange: "reversed" }, height: Math.max(260, 80 + 34 * w.y.length) }), PLOT_CONFIG);
  }

  // ---- CSV: every table's rows for the range, unformatted, as a download link -------------
  function csvCell(v) {
    if (v === null || v === undefined) return "";
    const s = String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function csvLink(w, keys, rows, range) {
    const text = [keys.join(","), ...rows.map((r) => keys.map((k) => csvCell(r[k])).join(","))].join("\r\n") + "\r\n";
    const slug = w.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    const c = custom(range);
    const cut = Object.entries(ACTIVE).map(([dim, v]) => `-${dim}-${String(v).replace(/[^\p{L}\p{N}]+/gu, "_")}`).join("");
    const name = `${DATA.page.replace(".html", "")}-${slug}${cut}-${c ? c.join("_") : range === "all" ? "all" : range + "d"}.csv`;
    return `<a class="csv" download="${esc(name)}" href="data:text/csv;charset=utf-8,${encodeURIComponent("\ufeff" + text)}">CSV</a>`;
  }
  function rowsInRange(w, range) { // null: a per-range table asked for a custom range
    if (!w.rows && w.by_range && !DATA.by_range[range]) return null;
    let rows = w.rows || (w.by_range ? DATA.by_range[range][w.by_range] : []);
    if (w.date_col && N) { // rows dated inside the range only
      const [lo, hi] = span(range);
      rows = rows.filter((r) => r[w.date_col] >= DATA.dates[lo] && r[w.date_col] <= DATA.dates[hi]);
    }
    return filterRows(w, rows);
  }

  function drawTable(w, el, range) {
    let rows = rowsInRange(w, range);
    if (rows === null) {
      el.innerHTML = `<h2>${esc(w.title)}</h2><p class="note preset-only">${esc(PRESET_ONLY)}</p>`;
      return;
    }
    const csv = csvLink(w, w.columns.map((c) => c.key), rows, range);
    if (w.limit) rows = rows.slice(0, w.limit);
    const cls = (c) => (c.fmt === "long" ? "wrap" : c.fmt && c.fmt !== "text" ? "num" : "");
    const head = w.columns.map((c) => `<th class="${cls(c)}">${esc(c.label)}</th>`).join("");
    const body = rows.length
      ? rows.map((r) => "<tr>" + w.columns.map((c) => `<td class="${cls(c)}">${esc(fmt(r[c.key], c.fmt))}</td>`).join("") + "</tr>").join("")
      : `<tr><td colspan="${w.columns.length}" class="empty">${esc(w.empty || "nothing in this range")}</td></tr>`;
    el.innerHTML = `<h2>${esc(w.title)} ${csv}</h2>${w.note ? `<p class="note">${esc(w.note)}</p>` : ""}<div class="tablewrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }

  function drawAlerts(w, el, range) { // one card per alert: severity, day, the rule in words, the sentence
    let rows = rowsInRange(w, range);
    const csv = csvLink(w, ["alert_date", "alert_type", "title", "severity", "explanation"], rows, range);
    const total = rows.length;
    rows = rows.slice(0, w.limit);
    const more = total > rows.length ? `<p class="note">${total - rows.length} older alert(s) in this range not shown</p>` : "";
    const body = rows.length
      ? rows.map((r) => `<article class="alert sev-${esc(r.severity)}" data-type="${esc(r.alert_type)}">` +
          `<div class="ahead"><span class="sev">${esc(r.severity)}</span> <time>${esc(dayText(r.alert_date, true))}</time> · <strong>${esc(r.title)}</strong></div>` +
          `<p>${esc(r.explanation)}</p></article>`).join("")
      : `<p class="empty">${esc(w.empty)}</p>`;
    el.innerHTML = `<h2>${esc(w.title)} ${csv}</h2><div class="alertlist">${body}</div>${more}`;
  }

  function drawText(w, el, range) {
    if (!w.items && !DATA.by_range[range]) {
      el.innerHTML = `<h2>${esc(w.title)}</h2><p class="note preset-only">${esc(PRESET_ONLY)}</p>`;
      return;
    }
    const items = w.items || DATA.by_range[range][w.by_range];
    el.innerHTML = `<h2>${esc(w.title)}</h2><ul class="facts">${items.map((t) => `<li>${esc(t)}</li>`).join("")}</ul>`;
  }

  const DRAW = { sbar: drawStaticBars, cards: drawCards, line: drawLine, bars: drawBars, forecast: drawForecast, heatmap: drawHeatmap, table: drawTable, text: drawText, alerts: drawAlerts };

  // ---- page -----------------------------------------------------------------------------
  // The state lives in the URL: #r=<range>&<dim>=<value>..., and travels with the navigation links
  // (a filter another page offers is kept for it).
  const RANGE_RE = /^(7|28|90|all|c:\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2})$/;
  function fromHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const r = p.get("r");
    const params = {};
    for (const [k, v] of p) if (k !== "r") params[k] = v;
    return { range: r && RANGE_RE.test(r) ? r : DATA.default_range, params };
  }
  function hashOf(s) {
    return ["r=" + s.range, ...Object.entries(s.params).map(([k, v]) => k + "=" + encodeURIComponent(v))].join("&");
  }
  let state = null, shown = null;
  function go(s) { render(s); location.hash = hashOf(s); }
  function render(s) {
    const key = hashOf(s);
    if (key === shown) return;
    shown = key; state = s;
    const range = s.range;
    ACTIVE = {};
    for (const f of FILTERS) if (f.values.includes(s.params[f.dim])) ACTIVE[f.dim] = s.params[f.dim];
    document.querySelectorAll("#filters select").forEach((sel) => { sel.value = ACTIVE[sel.dataset.dim] || ""; });
    document.querySelectorAll(".range button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === range)));
    document.querySelectorAll("nav a").forEach((a) => { a.href = a.getAttribute("href").split("#")[0] + "#" + key; });
    const [lo, hi] = span(range);
    document.getElementById("range-label").textContent = N ? `${DATA.dates[lo]} – ${DATA.dates[hi]}` : "no data yet";
    if (N) { FROM.value = DATA.dates[lo]; TO.value = DATA.dates[hi]; }
    DATA.widgets.forEach((w, i) => {
      const el = document.getElementById(`w${i}`);
      // a widget the active filters cannot cut shows the whole shop, and says so
      const whole = Object.keys(ACTIVE).filter((dim) => !cutBy(w).includes(dim));
      const note = el.querySelector(".filter-note");
      note.hidden = whole.length === 0;
      note.textContent = whole.length ? `not split by ${whole.map((dim) => FILTERS.find((f) => f.dim === dim).label).join(" or ")}: shows the whole shop` : "";
      const body = el.querySelector(".wbody");
      if ((w.type === "sbar" || w.type === "heatmap") && body.dataset.drawn) return; // not cut by the range
      DRAW[w.type](w, body, range);
      body.dataset.drawn = "1";
    });
  }
  const main = document.getElementById("widgets");
  DATA.widgets.forEach((w, i) => {
    const el = document.createElement("section");
    el.id = `w${i}`;
    el.className = `widget ${w.type}${w.wide ? " wide" : ""}`;
    el.innerHTML = '<p class="note filter-note" hidden></p><div class="wbody"></div>';
    main.appendChild(el);
  });
  for (const r of RANGES) {
    const b = document.querySelector(`.range button[data-range="${r}"]`);
    b.addEventListener("click", () => go({ range: r, params: state.params }));
  }
  // the filters: one select per dimension the page offers, "all" first
  const FBOX = document.getElementById("filters");
  FBOX.innerHTML = FILTERS.map((f) => `<label>${esc(f.label)} <select data-dim="${esc(f.dim)}"><option value="">all</option>` +
    f.values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join("") + "</select></label>").join("");
  FBOX.querySelectorAll("select").forEach((sel) => sel.addEventListener("change", () => {
    const params = Object.assign({}, state.params);
    if (sel.value) params[sel.dataset.dim] = sel.value; else delete params[sel.dataset.dim];
    go({ range: state.range, params });
  }));
  // the custom range: two dates within the data; either change redraws
  const FROM = document.getElementById("range-from"), TO = document.getElementById("range-to");
  if (N) { for (const input of [FROM, TO]) { input.min = DATA.dates[0]; input.max = DATA.dates[N - 1]; } }
  function onDates() {
    if (!FROM.value || !TO.value) return;
    go({ range: `c:${FROM.value}:${TO.value}`, params: state.params });
  }
  FROM.addEventListener("change", onDates);
  TO.addEventListener("change", onDates);
  window.addEventListener("hashchange", () => render(fromHash()));
  render(fromHash());
})();
