/* dupscan report: renders the page from the JSON in #report-data. No library, no network:
 * elements are built with the DOM API, charts as small SVG strings. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var app = document.getElementById("app");
  var searchables = [];  // {el, ids, kind}

  // ---- helpers ---------------------------------------------------------------------------------

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = v;
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function fmt(n) {  // 1234567 -> "1,234,567", as the terminal summary prints counts
    var s = String(Math.round(n));
    var neg = s[0] === "-";
    if (neg) s = s.slice(1);
    for (var i = s.length - 3; i > 0; i -= 3) s = s.slice(0, i) + "," + s.slice(i);
    return (neg ? "-" : "") + s;
  }
  function pct(x, digits) { return (100 * x).toFixed(digits === undefined ? 1 : digits) + "%"; }
  function bytes(b) {
    var units = ["B", "kB", "MB", "GB", "TB"], u = 0;
    while (b >= 1000 && u < 4) { b /= 1000; u++; }
    return (u === 0 ? b.toFixed(0) : b.toFixed(1)) + " " + units[u];
  }
  function jac(j) { return j === 1 ? "1" : j.toFixed(3); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }
  function svgNode(markup) {
    var t = document.createElement("template");
    t.innerHTML = markup;
    return t.content.firstChild;
  }
  function anchorId(prefix, s) { return prefix + "-" + String(s).replace(/[^A-Za-z0-9_-]/g, "_"); }

  // A text with highlighted ranges ([b0, e0, b1, e1, ...] in UTF-16 offsets).
  function textBlock(text, ranges, cut) {
    var pre = h("pre", { class: "text" });
    var at = 0;
    ranges = ranges || [];
    for (var i = 0; i + 1 < ranges.length; i += 2) {
      var b = ranges[i], e = ranges[i + 1];
      if (b > at) pre.appendChild(document.createTextNode(text.slice(at, b)));
      pre.appendChild(h("mark", { text: text.slice(b, e) }));
      at = e;
    }
    if (at < text.length) pre.appendChild(document.createTextNode(text.slice(at)));
    if (cut) pre.appendChild(h("span", { class: "cut", text: "\n… " + cut }));
    return pre;
  }
  function cutNote(doc) {
    return doc.cut ? "cut after " + fmt(opts().chars) + " of " + fmt(doc.chars) + " characters" : null;
  }
  function docText(doc, ranges) {
    if (!data.texts.read) return null;  // --no-texts: ids and numbers, no text panes
    if (doc.missing !== undefined) return h("div", { class: "missing", text: "Text not shown: " + doc.missing + "." });
    return textBlock(doc.text, ranges, cutNote(doc));
  }

  // dedup: what a pair's texts highlight. A near pair shares most of its text (at J >= 0.8 nearly
  // all of it), so by default the page marks what differs -- the characters outside every shingle
  // the two share -- and the "highlight shared" toggle marks the shared shingles instead.
  var highlight = "differences";
  var WORDY = /[\p{L}\p{N}]/u;
  // The complement of `ranges` in `text`, without the white space at either end of a piece, and
  // without pieces of white space and punctuation alone (the default normalization ignores them).
  function differences(text, ranges) {
    var out = [], at = 0;
    function add(b, e) {
      while (b < e && /\s/.test(text[b])) b++;
      while (e > b && /\s/.test(text[e - 1])) e--;
      if (b < e && WORDY.test(text.slice(b, e))) out.push(b, e);
    }
    for (var i = 0; i + 1 < ranges.length; i += 2) {
      add(at, ranges[i]);
      at = Math.max(at, ranges[i + 1]);
    }
    add(at, text.length);
    return out;
  }
  // A document's text in a pair: highlighted as `highlight` says; setHighlight redraws it.
  function pairText(doc, shared) {
    if (!data.texts.read || doc.missing !== undefined || !shared) return docText(doc, []);
    var pane = textBlock(doc.text, highlight === "shared" ? shared : differences(doc.text, shared), cutNote(doc));
    pane.classList.add("pair-text");
    pane.dupscanShared = shared;
    pane.dupscanDoc = doc;
    return pane;
  }
  function setHighlight(mode) {
    highlight = mode;
    document.body.setAttribute("data-highlight", mode);
    Array.prototype.forEach.call(document.querySelectorAll("pre.pair-text"), function (pre) {
      pre.replaceWith(pairText(pre.dupscanDoc, pre.dupscanShared));
    });
  }
  function where(doc) {
    if (doc.file === undefined) return null;
    return h("span", { class: "mono", title: "input file and line of the record" }, doc.file + ":" + doc.line,
      doc.copies ? h("span", { class: "dup-id", text: " (" + fmt(doc.copies) + " records carry this id; the first is shown)" }) : null);
  }
  function opts() { return data.options; }
  function register(el, ids, kind) {
    searchables.push({ el: el, ids: ids.join("\n").toLowerCase(), kind: kind });
  }

  // ---- charts ----------------------------------------------------------------------------------

  var W = 470, H = 270, M = { l: 54, r: 22, t: 18, b: 42 };

  function niceStep(max, ticks) {
    var raw = max / ticks, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  /* Stacked bars. o: {series: [{name, color, values}], log, xLabel(i) -> label at the left edge
   * of bar i (i = n: the right edge), catLabel(i) -> label under bar i, marks: [{at (in bars),
   * label}], tip(i), yTitle, color(i, s) optional per-bar colour} */
  function bars(o) {
    var n = o.series[0].values.length, pw = W - M.l - M.r, ph = H - M.t - M.b;
    var totals = [];
    for (var i = 0; i < n; i++) {
      var t = 0;
      o.series.forEach(function (s) { t += s.values[i]; });
      totals.push(t);
    }
    var max = Math.max.apply(null, totals.concat([1]));
    var y = o.log
      ? function (v) { return M.t + ph - ph * Math.log10(1 + v) / Math.log10(1 + max); }
      : function (v) { return M.t + ph - ph * v / max; };
    var bw = pw / n, out = [];
    var maxBar = o.maxBar || bw;  // categorical charts keep their bars narrow, centred in the slot
    out.push('<svg viewBox="0 0 ' + W + " " + H + '" role="img">');
    // y grid and ticks
    var ticks = [];
    if (o.log) { for (var p = 1; p <= max * 1.0001; p *= 10) ticks.push(p); ticks.unshift(0); }
    else { var st = Math.max(1, niceStep(max, 4)); for (var v = 0; v <= max * 1.0001; v += st) ticks.push(v); }
    ticks.forEach(function (v) {
      var yy = y(v).toFixed(1);
      out.push('<line class="grid" x1="' + M.l + '" x2="' + (W - M.r) + '" y1="' + yy + '" y2="' + yy + '"/>');
      out.push('<text x="' + (M.l - 6) + '" y="' + yy + '" dy="0.32em" text-anchor="end">' + esc(fmt(v)) + "</text>");
    });
    for (i = 0; i < n; i++) {
      var base = 0, x = M.l + i * bw + (bw - Math.min(bw, maxBar)) / 2, wb = Math.min(bw, maxBar);
      o.series.forEach(function (s, si) {
        var v = s.values[i];
        if (!v) return;
        var y0 = y(base), y1 = y(base + v);
        base += v;
        var color = o.color ? o.color(i, si) : s.color;
        out.push('<rect x="' + (x + 0.5).toFixed(1) + '" y="' + y1.toFixed(1) + '" width="' +
          Math.max(1, wb - 1).toFixed(1) + '" height="' + Math.max(0.5, y0 - y1).toFixed(1) +
          '" fill="' + color + '"><title>' + esc(o.tip ? o.tip(i, s) : fmt(v)) + "</title></rect>");
      });
      if (o.countsOnTop && totals[i]) {
        out.push('<text x="' + (x + wb / 2).toFixed(1) + '" y="' + (y(totals[i]) - 4).toFixed(1) +
          '" text-anchor="middle">' + esc(fmt(totals[i])) + "</text>");
      }
    }
    // x axis
    out.push('<line class="axis" x1="' + M.l + '" x2="' + (W - M.r) + '" y1="' + (M.t + ph) + '" y2="' + (M.t + ph) + '"/>');
    for (i = 0; i <= n; i++) {
      var lab = o.xLabel ? o.xLabel(i) : null;
      if (lab === null || lab === undefined) continue;
      var xx = (M.l + i * bw).toFixed(1);
      out.push('<line class="axis" x1="' + xx + '" x2="' + xx + '" y1="' + (M.t + ph) + '" y2="' + (M.t + ph + 4) + '"/>');
      out.push('<text x="' + xx + '" y="' + (M.t + ph + 16) + '" text-anchor="middle">' + esc(lab) + "</text>");
    }
    for (i = 0; i < n; i++) {
      var cl = o.catLabel ? o.catLabel(i) : null;
      if (cl === null || cl === undefined) continue;
      out.push('<text x="' + (M.l + (i + 0.5) * bw).toFixed(1) + '" y="' + (M.t + ph + 16) + '" text-anchor="middle">' + esc(cl) + "</text>");
    }
    (o.marks || []).forEach(function (m) {
      var xm = (M.l + m.at * bw).toFixed(1);
      out.push('<line x1="' + xm + '" x2="' + xm + '" y1="' + M.t + '" y2="' + (M.t + ph) + '" stroke="' + (m.color || "#444") + '" stroke-dasharray="4 3"/>');
      out.push('<text class="title" x="' + (+xm + (m.left ? -4 : 4)) + '" y="' + (M.t + 10) + '" text-anchor="' + (m.left ? "end" : "start") + '">' + esc(m.label) + "</text>");
    });
    if (o.xTitle) out.push('<text x="' + (M.l + pw / 2) + '" y="' + (H - 4) + '" text-anchor="middle">' + esc(o.xTitle) + "</text>");
    if (o.yTitle) out.push('<text transform="translate(12 ' + (M.t + ph / 2) + ') rotate(-90)" text-anchor="middle">' + esc(o.yTitle) + "</text>");
    out.push("</svg>");
    return svgNode(out.join(""));
  }

  function legend(items) {
    return h("div", { class: "legend" }, items.map(function (it) {
      return h("span", null, h("i", { style: "background:" + it[1] }), it[0]);
    }));
  }
  function chart(title, caption, svg, extra) {
    return h("div", { class: "chart" }, h("h3", { text: title }), caption ? h("div", { class: "caption", text: caption }) : null, svg, extra || null);
  }

  // The probability that LSH makes a pair of Jaccard s a candidate, 1 - (1 - s^r)^b, with the
  // threshold, the removed documents' Jaccard values and the measured pair counts.
  function sCurve(lsh, hist) {
    var pw = W - M.l - M.r, ph = H - M.t - M.b, b = lsh.bands, r = lsh.rows;
    var x = function (s) { return M.l + s * pw; }, y = function (p) { return M.t + ph - p * ph; };
    var P = function (s) { return 1 - Math.pow(1 - Math.pow(s, r), b); };
    var out = ['<svg viewBox="0 0 ' + W + " " + H + '" role="img">'];
    [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
      out.push('<line class="grid" x1="' + M.l + '" x2="' + (W - M.r) + '" y1="' + y(v) + '" y2="' + y(v) + '"/>');
      out.push('<text x="' + (M.l - 6) + '" y="' + y(v) + '" dy="0.32em" text-anchor="end">' + (100 * v) + "%</text>");
    });
    // removed documents by Jaccard, as faint bars (scaled to a third of the height)
    var n = hist.near.length, maxh = 1;
    for (var i = 0; i < n; i++) maxh = Math.max(maxh, hist.near[i] + hist.exact[i]);
    for (i = 0; i < n; i++) {
      var v = hist.near[i] + hist.exact[i];
      if (!v) continue;
      var hh = (ph / 3) * v / maxh;
      out.push('<rect x="' + x(i / n).toFixed(1) + '" y="' + (M.t + ph - hh).toFixed(1) + '" width="' + (pw / n - 1).toFixed(1) + '" height="' + hh.toFixed(1) + '" fill="#c9dcf3"><title>' + esc(fmt(v) + " removed documents at Jaccard " + (i / n).toFixed(2) + "–" + ((i + 1) / n).toFixed(2)) + "</title></rect>");
    }
    var d = [];
    for (var k = 0; k <= 200; k++) { var s = k / 200; d.push((k ? "L" : "M") + x(s).toFixed(1) + " " + y(P(s)).toFixed(1)); }
    out.push('<path d="' + d.join("") + '" fill="none" stroke="#0b62c4" stroke-width="2.2"/>');
    out.push('<line class="axis" x1="' + M.l + '" x2="' + (W - M.r) + '" y1="' + (M.t + ph) + '" y2="' + (M.t + ph) + '"/>');
    for (k = 0; k <= 10; k++) {
      var xx = x(k / 10).toFixed(1);
      out.push('<text x="' + xx + '" y="' + (M.t + ph + 16) + '" text-anchor="middle">' + (k / 10).toFixed(1) + "</text>");
    }
    var T = lsh.threshold, xt = x(T).toFixed(1);
    out.push('<line x1="' + xt + '" x2="' + xt + '" y1="' + M.t + '" y2="' + (M.t + ph) + '" stroke="#c2410c" stroke-dasharray="4 3"/>');
    out.push('<text class="title" x="' + (+xt - 5) + '" y="' + (M.t + ph - 6) + '" text-anchor="end">T = ' + T + "</text>");
    [T, Math.min(1, T + 0.1)].forEach(function (s, i) {
      var px = x(s), py = y(P(s));
      out.push('<circle cx="' + px.toFixed(1) + '" cy="' + py.toFixed(1) + '" r="4" fill="#c2410c"><title>' + esc("P(candidate | s = " + s.toFixed(2) + ") = " + pct(P(s))) + "</title></circle>");
      out.push('<text class="title" x="' + (px - 8).toFixed(1) + '" y="' + (py + (i ? 12 : 4)).toFixed(1) + '" text-anchor="end">' + esc(pct(P(s), 0)) + "</text>");
    });
    // the measured counts
    var lines = lsh.verify
      ? ["candidate pairs " + fmt(lsh.candidate), "verified (≥ T) " + fmt(lsh.verified), "rejected " + fmt(lsh.rejected)]
      : ["candidate pairs " + fmt(lsh.candidate), "not verified (--no-verify)"];
    out.push('<rect x="' + (M.l + 8) + '" y="' + (M.t + 6) + '" width="150" height="' + (14 * lines.length + 10) + '" rx="4" fill="#fff" stroke="#d8dee4"/>');
    lines.forEach(function (l, i) {
      out.push('<text class="' + (i ? "" : "title") + '" x="' + (M.l + 16) + '" y="' + (M.t + 22 + 14 * i) + '">' + esc(l) + "</text>");
    });
    out.push('<text x="' + (M.l + pw / 2) + '" y="' + (H - 4) + '" text-anchor="middle">Jaccard similarity s of a pair</text>');
    out.push('<text transform="translate(12 ' + (M.t + ph / 2) + ') rotate(-90)" text-anchor="middle">P(candidate)</text>');
    out.push("</svg>");
    return svgNode(out.join(""));
  }

  function P(s, lsh) { return 1 - Math.pow(1 - Math.pow(s, lsh.rows), lsh.bands); }

  // ---- page frame --------------------------------------------------------------------------------

  var hitsEl;
  function frame(kind, navItems) {
    var input = h("input", { type: "search", id: "search", placeholder: "Search ids… (press /)", "aria-label": "Search by id", autocomplete: "off", spellcheck: "false" });
    hitsEl = h("span", { class: "hits", id: "search-hits" });
    var mono = h("label", { class: "toggle", title: "Show texts in a monospace font (for code)" },
      h("input", { type: "checkbox", id: "mono", onchange: function (e) { document.body.classList.toggle("mono-text", e.target.checked); } }), "monospace");
    var shared = kind === "dedup" && data.texts.read ? h("label", { class: "toggle", title: "Pairs: highlight the shingles the two texts share instead of what differs" },
      h("input", { type: "checkbox", id: "hl-shared", onchange: function (e) { setHighlight(e.target.checked ? "shared" : "differences"); } }), "highlight shared") : null;
    var bar = h("div", { class: "topbar" },
      h("div", { class: "topbar-inner" },
        h("div", { class: "brand" }, h("h1", { text: "dupscan " + kind }), h("span", { class: "dir", title: data.dir, text: data.dir })),
        h("div", { class: "search" }, input, hitsEl, shared, mono)),
      h("nav", { class: "sections" }, navItems.map(function (it) {
        return h("a", { href: "#" + it[0] }, it[1], it[2] !== undefined ? h("span", { class: "count", text: it[2] }) : null);
      })));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(input.value); }, 60);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "/" && document.activeElement !== input) { e.preventDefault(); input.focus(); }
      if (e.key === "Escape" && document.activeElement === input) { input.value = ""; search(""); }
    });
    return bar;
  }

  function search(q) {
    q = q.trim().toLowerCase();
    var counts = {}, total = 0;
    searchables.forEach(function (s) {
      var hit = !q || s.ids.indexOf(q) >= 0;
      s.el.classList.toggle("hidden", !hit);
      if (hit && q) { counts[s.kind] = (counts[s.kind] || 0) + 1; total++; }
    });
    if (!q) { hitsEl.textContent = ""; return; }
    var parts = Object.keys(counts).map(function (k) { return fmt(counts[k]) + " " + k + (counts[k] === 1 ? "" : "s"); });
    hitsEl.textContent = total ? parts.join(" · ") : "no id in this page contains “" + q + "”";
  }

  function section(id, title, sub) {
    return h("section", { id: id }, h("header", null, h("h2", { text: title }), sub ? h("span", { class: "sub", text: sub }) : null));
  }
  function card(cls, label, value, detail) {
    return h("div", { class: "card " + (cls || "") }, h("div", { class: "label", text: label }), h("div", { class: "value", text: value }), detail ? h("div", { class: "detail", text: detail }) : null);
  }
  function kvTable(rows) {
    return h("table", { class: "kv" }, h("tbody", null, rows.map(function (r) {
      return h("tr", null, h("td", { text: r[0] }), h("td", { text: r[1] }));
    })));
  }
  function inputsTable(inputs) {
    return h("div", { class: "table-wrap" }, h("table", null,
      h("thead", null, h("tr", null, ["path", "compression", "bytes", "text bytes", "lines", "records", "skipped", "XXH3-64", "texts read"].map(function (c, i) {
        return h("th", { class: i >= 2 && i <= 6 ? "num" : null, text: c });
      }))),
      h("tbody", null, inputs.map(function (in_) {
        return h("tr", null,
          h("td", { class: "id", text: in_.path }), h("td", { text: in_.compression }),
          h("td", { class: "num", text: fmt(in_.bytes) }), h("td", { class: "num", text: fmt(in_.text_bytes) }),
          h("td", { class: "num", text: fmt(in_.lines) }), h("td", { class: "num", text: fmt(in_.records) }),
          h("td", { class: "num", text: fmt(in_.skipped) }),
          h("td", { class: "id nowrap", text: in_.xxh3_64 }),
          h("td", null, in_.verified ? h("span", { class: "check", title: "the input was read again for this page and has this checksum", text: "✓ same checksum" }) : "no"));
      }))));
  }
  function runSection(sub) {
    var s = section("run", "Run", sub);
    s.appendChild(h("h3", { text: "Parameters", style: "margin:8px 0 4px" }));
    s.appendChild(h("div", { style: "max-width:980px" }, kvTable(data.parameters)));
    s.appendChild(h("h3", { text: "Inputs", style: "margin:18px 0 4px" }));
    s.appendChild(inputsTable(data.inputs));
    if (data.texts.read) s.appendChild(h("p", { class: "rule", text: "The texts on this page were read again from these inputs, and each input's XXH3-64 compared with the one the run recorded." }));
    return s;
  }
  function footer() {
    return h("footer", { class: "page" }, "Written by dupscan " + data.version + " (" + data.by + "). One file: it holds its styles, script, charts and data, and makes no network request.");
  }

  // ---- dedup -----------------------------------------------------------------------------------

  var HIGHLIGHT_RULE = "Highlighted, on the texts as they are in the input: what differs (the words outside every shingle the two share; white space and punctuation alone are not marked), or, with “highlight shared” at the top, the shingles the two share.";
  function renderDedup() {
    var hd = data.headline, docs = data.docs, o = opts();
    var removedPct = hd.documents ? hd.removed / hd.documents : 0;
    app.appendChild(frame("dedup", [
      ["summary", "Summary"], ["charts", "Charts"],
      ["clusters", "Largest clusters", data.clusters.shown.length + " of " + fmt(data.clusters.total)],
      ["pairs", "Near pairs", data.pairs.shown.length + " of " + fmt(data.pairs.total)],
      ["exact", "Exact copies", data.exact.shown.length + " of " + fmt(data.exact.total)],
      ["removed", "Removed ids", fmt(data.removed.rows.length) + " of " + fmt(data.removed.total)],
      ["run", "Run"]]));
    var main = h("main");
    app.appendChild(main);

    var s = section("summary", "Summary", fmt(hd.documents) + " documents, " + bytes(hd.text_bytes) + " of JSONL, " + hd.seconds.toFixed(2) + " s");
    s.appendChild(h("div", { class: "cards" },
      card("", "Documents", fmt(hd.documents), bytes(hd.text_bytes) + " of JSONL"),
      card("removed", "Removed", fmt(hd.removed), pct(removedPct, 2) + " of documents"),
      card("exact", "Exact duplicates", fmt(hd.exact), "equal after normalization"),
      card("near", "Near duplicates", fmt(hd.near), hd.verify ? "verified Jaccard ≥ " + data.lsh.threshold : "MinHash estimate (--no-verify)"),
      card("kept", "Kept", fmt(hd.kept), hd.indexed ? fmt(hd.indexed) + " indexed documents beside" : null),
      card("", "Clusters", fmt(hd.clusters), "of two or more documents"),
      card("", "Candidate pairs", fmt(hd.candidate_pairs), hd.verify ? fmt(hd.verified_pairs) + " verified, " + fmt(hd.rejected_pairs) + " rejected" : "not verified")));
    if (data.summary) s.appendChild(h("pre", { class: "summary", id: "terminal-summary", text: data.summary.replace(/\n$/, "") }));
    if (data.texts.note) s.appendChild(h("div", { class: "note", text: data.texts.note }));
    main.appendChild(s);

    // charts
    s = section("charts", "Charts");
    var jh = data.jaccard, nb = jh.bins;
    var lo = Math.max(0, Math.min(Math.floor(jh.min * 10) / 10, Math.floor(data.lsh.threshold * 10) / 10 - 0.1));
    var from = Math.round(lo * nb);
    var near = jh.near.slice(from), exact = jh.exact.slice(from);
    var binW = 1 / nb;
    var jchart = bars({
      series: [{ name: "near", color: "#3b82d6", values: near }, { name: "exact", color: "#8250df", values: exact }],
      xLabel: function (i) { var v = (from + i) * binW; return Math.abs(v * 10 - Math.round(v * 10)) < 1e-9 ? v.toFixed(1) : null; },
      tip: function (i, sr) { return fmt(sr.values[i]) + " " + sr.name + " duplicates at Jaccard " + ((from + i) * binW).toFixed(2) + "–" + ((from + i + 1) * binW).toFixed(2); },
      marks: [{ at: (data.lsh.threshold - lo) * nb, label: "T = " + data.lsh.threshold, color: "#c2410c", left: true }],
      xTitle: "Jaccard with the kept document", yTitle: "removed documents"
    });
    var scurve = sCurve(data.lsh, jh);
    var sizes = data.sizes, last = sizes.counts.length;
    while (last > 1 && !sizes.counts[last - 1]) last--;
    var schart = bars({
      series: [{ name: "clusters", color: "#2f855a", values: sizes.counts.slice(0, last) }], log: true, countsOnTop: true, maxBar: 46,
      catLabel: function (i) { return sizes.labels[i]; },
      tip: function (i, sr) { return fmt(sr.values[i]) + " clusters of " + sizes.labels[i] + " members"; },
      xTitle: "members per cluster (largest: " + fmt(sizes.largest) + ")", yTitle: "clusters (log scale)"
    });
    s.appendChild(h("div", { class: "charts" },
      chart("Jaccard of removed documents", "Each removed document's Jaccard with the document kept in its cluster; exact and near duplicates stacked.", jchart,
        legend([["near", "#3b82d6"], ["exact", "#8250df"]])),
      chart("LSH banding: " + data.lsh.bands + " bands × " + data.lsh.rows + " rows", "Probability 1 − (1 − s^" + data.lsh.rows + ")^" + data.lsh.bands + " that a pair of Jaccard s becomes a candidate: " + pct(P(data.lsh.threshold, data.lsh), 0) + " at T = " + data.lsh.threshold + ", " + pct(P(Math.min(1, data.lsh.threshold + 0.1), data.lsh), 1) + " at " + Math.min(1, data.lsh.threshold + 0.1).toFixed(1) + ". Bars: removed documents by Jaccard.", scurve),
      chart("Cluster sizes", "Clusters by number of members.", schart)));
    main.appendChild(s);

    // clusters
    s = section("clusters", "Largest clusters", data.clusters.shown.length + " of " + fmt(data.clusters.total));
    var nc = data.clusters.shown.length, allc = nc === data.clusters.total;
    s.appendChild(h("p", { class: "rule", text: (allc ? "All " + fmt(nc) + " clusters, largest first." : "The " + fmt(nc) + " largest of the " + fmt(data.clusters.total) + " clusters (most members; ties: lower cluster number).") + " Each compares the kept document with its " + fmt(o.members) + " removed members of lowest Jaccard (ties: input order). " + HIGHLIGHT_RULE + " Member lists stop at 50 ids." }));
    if (!data.clusters.shown.length) s.appendChild(h("div", { class: "empty", text: "No clusters: nothing was removed." }));
    data.clusters.shown.forEach(function (c, ci) {
      var kept = docs[c.kept];
      var body = h("div", { class: "body" });
      var ids = [kept.id];
      body.appendChild(h("div", { class: "members" }, c.members.map(function (m) {
        ids.push(m[0]);
        return h("span", { class: "member" }, m[0], " ", h("span", { class: "tag " + m[1], text: m[1] }), m.length > 2 ? h("span", { class: "j", text: "J " + jac(m[2]) }) : null);
      }), c.size > c.members.length ? h("span", { class: "member", text: "+ " + fmt(c.size - c.members.length) + " more" }) : null));
      var view = h("div");
      var tabs = h("div", { class: "tabs", role: "tablist" });
      c.compared.forEach(function (m, mi) {
        ids.push(docs[m.doc].id);
        var b = h("button", { type: "button", role: "tab", "aria-selected": mi === 0 ? "true" : "false" },
          docs[m.doc].id + " · " + m.kind + " · J " + jac(m.jaccard));
        b.addEventListener("click", function () {
          Array.prototype.forEach.call(tabs.children, function (x) { x.setAttribute("aria-selected", "false"); });
          b.setAttribute("aria-selected", "true");
          view.replaceChildren(pairView(c.kept, m.doc, m, "removed"));
        });
        tabs.appendChild(b);
      });
      if (c.compared.length > 1) body.appendChild(tabs);
      if (c.compared.length) view.appendChild(pairView(c.kept, c.compared[0].doc, c.compared[0], "removed"));
      body.appendChild(view);
      var det = h("details", { class: "item", id: "cluster-" + c.cluster, "data-cluster": c.cluster, open: ci < 4 },
        h("summary", null,
          h("span", { class: "title", text: "Cluster " + c.cluster }),
          h("span", { class: "meta", text: fmt(c.size) + " members · " + fmt(c.exact) + " exact · " + fmt(c.near) + " near · lowest J " + jac(c.min_jaccard) }),
          h("span", { class: "meta" }, "kept ", h("span", { class: "mono", text: kept.id }))),
        body);
      register(det, ids, "cluster");
      s.appendChild(det);
    });
    main.appendChild(s);

    // sampled near pairs
    s = section("pairs", "Near pairs", data.pairs.shown.length + " of " + fmt(data.pairs.total));
    var np = data.pairs.shown.length;
    s.appendChild(h("p", { class: "rule", text: (np === data.pairs.total ? "All " + fmt(np) + " removed near duplicates, each beside the document it duplicates, in the order of a seeded sample: " : "A sample of " + fmt(np) + " of the " + fmt(data.pairs.total) + " removed near duplicates, each beside the document it duplicates: ") + "the ones whose XXH64 of the removed id (seed " + o.seed + ") is smallest, so the same sample comes back every time (dupscan report --seed S draws another). " + HIGHLIGHT_RULE }));
    if (!data.pairs.shown.length) s.appendChild(h("div", { class: "empty", text: "No near duplicates." }));
    data.pairs.shown.forEach(function (p) {
      var item = h("div", { class: "item", "data-pair": docs[p.removed].id },
        h("div", { class: "head" },
          h("span", { class: "title mono", text: docs[p.removed].id }),
          h("span", { class: "meta" }, "near duplicate of ", h("span", { class: "mono", text: docs[p.kept].id })),
          h("span", { class: "meta" }, "cluster ", clusterLink(p.cluster))),
        h("div", { class: "body" }, pairView(p.kept, p.removed, p, "removed")));
      register(item, [docs[p.removed].id, docs[p.kept].id], "pair");
      s.appendChild(item);
    });
    main.appendChild(s);

    // exact copies
    s = section("exact", "Exact copies", data.exact.shown.length + " of " + fmt(data.exact.total) + " groups");
    var ne = data.exact.shown.length;
    s.appendChild(h("p", { class: "rule", text: "Documents whose normalized text equals the kept document's, grouped by kept document: " + (ne === data.exact.total ? "all " + fmt(ne) + " groups, largest first" : "the " + fmt(ne) + " of " + fmt(data.exact.total) + " groups with the most copies (ties: cluster number)") + "; " + fmt(data.exact.copies) + " exact copies in all." }));
    if (!data.exact.shown.length) s.appendChild(h("div", { class: "empty", text: "No exact copies." }));
    data.exact.shown.forEach(function (g) {
      var kept = docs[g.kept];
      var ids = [kept.id].concat(g.copies);
      var item = h("details", { class: "item", "data-exact": kept.id },
        h("summary", null,
          h("span", { class: "title mono", text: kept.id }),
          h("span", { class: "tag kept", text: "kept" }),
          h("span", { class: "meta" }, fmt(g.count) + " exact cop" + (g.count === 1 ? "y" : "ies") + ": ", h("span", { class: "mono", text: g.copies.slice(0, 3).join(", ") + (g.count > 3 ? ", …" : "") })),
          h("span", { class: "meta" }, "cluster ", clusterLink(g.cluster))),
        h("div", { class: "body" },
          h("div", { class: "members" }, g.copies.map(function (id) { return h("span", { class: "member" }, id, " ", h("span", { class: "tag exact", text: "exact" })); }),
            g.count > g.copies.length ? h("span", { class: "member", text: "+ " + fmt(g.count - g.copies.length) + " more" }) : null),
          h("div", { class: "doc" }, h("div", { class: "doc-head" }, h("span", { class: "tag kept", text: "kept" }), h("span", { class: "id", text: kept.id }), where(kept)), docText(kept, []))));
      register(item, ids, "exact group");
      s.appendChild(item);
    });
    main.appendChild(s);

    // removed ids
    s = section("removed", "Removed ids", fmt(data.removed.rows.length) + " of " + fmt(data.removed.total));
    s.appendChild(h("p", { class: "rule", text: (data.removed.rows.length < data.removed.total ? "The first " + fmt(o.list) + " lines" : "All lines") + " of duplicates.jsonl (input order); the search box filters them, and every section above, by id." }));
    var tbody = h("tbody");
    data.removed.rows.forEach(function (r) {
      var tr = h("tr", null, h("td", { class: "id", text: r[0] }), h("td", { class: "id", text: r[1] }),
        h("td", { class: "num" }, clusterLink(r[2])), h("td", null, h("span", { class: "tag " + r[3], text: r[3] })),
        h("td", { class: "num jacc", text: jac(r[4]) }));
      register(tr, [r[0], r[1]], "row");
      tbody.appendChild(tr);
    });
    s.appendChild(h("div", { class: "table-wrap" }, h("table", { id: "removed-table" },
      h("thead", null, h("tr", null, h("th", { text: "id" }), h("th", { text: "duplicate of" }), h("th", { class: "num", text: "cluster" }), h("th", { text: "kind" }), h("th", { class: "num", text: "Jaccard" }))),
      tbody)));
    main.appendChild(s);
    main.appendChild(runSection(data.inputs.length + " input" + (data.inputs.length === 1 ? "" : "s")));
  }

  var shownClusters = null;
  function clusterLink(c) {
    if (!shownClusters) {
      shownClusters = {};
      data.clusters.shown.forEach(function (x) { shownClusters[x.cluster] = true; });
    }
    return shownClusters[c] ? h("a", { href: "#cluster-" + c, text: String(c) }) : String(c);
  }

  // The kept document beside a removed one, shared shingles highlighted on both.
  function pairView(keptIdx, otherIdx, m, role) {
    var docs = data.docs, kept = docs[keptIdx], other = docs[otherIdx];
    var check = null;
    if (m.check !== null && m.check !== undefined) {
      var same = Math.abs(m.check - m.jaccard) < 1e-12;
      check = h("span", { class: "jacc" }, " · recomputed ", h("b", { text: jac(m.check) }),
        same ? null : data.headline.verify ? h("span", { class: "warn", text: " (differs from duplicates.jsonl)" })
          : h("span", { text: " (exact; duplicates.jsonl has the MinHash estimate: --no-verify)" }));
    }
    var shared = m.shared !== undefined ? " · " + fmt(m.shared) + " shared shingles" : "";
    return h("div", null,
      h("div", { class: "meta jacc", style: "margin-bottom:8px" }, "Jaccard ", h("b", { text: jac(m.jaccard) }), " (duplicates.jsonl)", check, shared),
      h("div", { class: "pair" },
        h("div", { class: "doc" }, h("div", { class: "doc-head" }, h("span", { class: "tag kept", text: "kept" }), h("span", { class: "id", text: kept.id }), where(kept)), pairText(kept, m.hk)),
        h("div", { class: "doc" }, h("div", { class: "doc-head" }, h("span", { class: "tag " + (m.kind === "exact" ? "exact" : "near"), text: role }), h("span", { class: "id", text: other.id }), where(other)), pairText(other, m.hr))));
  }

  // ---- contam ----------------------------------------------------------------------------------

  function renderContam() {
    var hd = data.headline, o = opts();
    var dirty = 0, examples = 0, nearEx = 0;
    data.benchmarks.forEach(function (b) { dirty += b.dirty; examples += b.total; nearEx += b.near_examples; });
    var nav = [["summary", "Summary"]];
    data.benchmarks.forEach(function (b) { nav.push([anchorId("bench", b.name), b.name, fmt(b.dirty) + " dirty"]); });
    nav.push(["run", "Run"]);
    app.appendChild(frame("contam", nav));
    var main = h("main");
    app.appendChild(main);

    var s = section("summary", "Summary", fmt(hd.train_documents) + " training documents, " + bytes(hd.text_bytes) + " of text, " + hd.seconds.toFixed(2) + " s");
    s.appendChild(h("div", { class: "cards" },
      card("", "Training documents", fmt(hd.train_documents), bytes(hd.text_bytes) + " of text"),
      card("", "Benchmarks", fmt(data.benchmarks.length), fmt(examples) + " examples"),
      card("removed", "Dirty examples", fmt(dirty), examples ? pct(dirty / examples, 2) + " of examples" : null),
      card("near", "With near duplicates", fmt(nearEx), "reported beside the verdict"),
      card("", "Training docs matched", fmt(hd.documents_matched), fmt(hd.matches) + " n-gram matches")));
    var own = data.benchmarks.some(function (b) { return b.clean_below !== data.clean_below || b.dirty_at !== data.dirty_at; });
    var cols = ["benchmark", "total", "judged", "too short", "dirty", "clean", "dirty %"].concat(own ? ["cov clean", "cov not clean", "cov not dirty", "cov dirty"] :
      ["cov < " + pct(data.clean_below, 0), "cov ≥ " + pct(data.clean_below, 0), "cov < " + pct(data.dirty_at, 0), "cov ≥ " + pct(data.dirty_at, 0)], ["near"]);
    s.appendChild(h("div", { class: "table-wrap" }, h("table", { id: "benchmark-table" },
      h("thead", null, h("tr", null, cols.map(function (c, i) { return h("th", { class: i ? "num" : null, text: c }); }))),
      h("tbody", null, data.benchmarks.map(function (b) {
        var v = [b.total, b.judged, b.too_short, b.dirty, b.clean];
        return h("tr", { "data-benchmark": b.name },
          h("td", null, h("a", { href: "#" + anchorId("bench", b.name), text: b.name })),
          v.map(function (x) { return h("td", { class: "num", text: fmt(x) }); }),
          h("td", { class: "num", text: b.dirty_pct.toFixed(2) + "%" }),
          [b.llama.clean, b.llama.not_clean, b.llama.not_dirty, b.llama.dirty, b.near_examples].map(function (x) { return h("td", { class: "num", text: fmt(x) }); }));
      })))));
    s.appendChild(h("p", { class: "rule", text: "An example of at least the n-gram length is dirty when one of its n-grams occurs in a training document; coverage is the fraction of its words inside matched n-grams, and Llama 2's subsets split the judged examples by it" +
      (own ? " (each benchmark's thresholds: " + data.benchmarks.map(function (b) { return b.name + " clean < " + pct(b.clean_below, 0) + ", dirty ≥ " + pct(b.dirty_at, 0); }).join("; ") + ")" : "") +
      ". Near duplicates are found apart and never make an example dirty." }));
    if (data.texts.note) s.appendChild(h("div", { class: "note", text: data.texts.note }));
    main.appendChild(s);

    data.benchmarks.forEach(function (b) { main.appendChild(benchmarkSection(b, o)); });
    main.appendChild(runSection(data.inputs.length + " training input" + (data.inputs.length === 1 ? "" : "s")));
  }

  function trainHead(t, extra) {
    return h("div", { class: "doc-head" },
      h("span", { class: "tag plain", text: "training" }), h("span", { class: "id", text: t.id }),
      where(t), extra || null);
  }
  function excerpts(t) {
    var of = t.bytes !== undefined ? " of " + fmt(t.bytes) : "";
    if (t.missing !== undefined) return h("div", { class: "missing", text: "Text not shown: " + t.missing + "." });
    if (!t.excerpts || !t.excerpts.length) return h("div", { class: "missing", text: "No excerpt." });
    return t.excerpts.map(function (x) {
      var text = (x.before ? "…" : "") + x.text + (x.after ? "…" : "");
      var shift = x.before ? 1 : 0;
      var hl = x.hl.map(function (v) { return v + shift; });
      return h("div", { class: "excerpt" }, h("div", { class: "meta", style: "font-size:0.8rem;margin-bottom:3px", text: "excerpt from byte " + fmt(x.start) + of }), textBlock(text, hl));
    });
  }

  function benchmarkSection(b, o) {
    var s = section(anchorId("bench", b.name), b.name, b.path + " · field " + b.fields);
    var docs = b.docs;
    s.appendChild(h("div", { class: "cards" },
      card("", "Examples", fmt(b.total), fmt(b.too_short) + " too short to judge"),
      card("", "Judged", fmt(b.judged)),
      card("removed", "Dirty", fmt(b.dirty), b.dirty_pct.toFixed(2) + "% of examples"),
      card("kept", "Clean", fmt(b.clean), "in clean/" + b.name + ".jsonl"),
      card("", "Coverage ≥ " + pct(b.dirty_at, 0), fmt(b.llama.dirty), "Llama 2 “dirty”"),
      card("", "Coverage < " + pct(b.clean_below, 0), fmt(b.llama.clean), "Llama 2 “clean”"),
      card("near", "Near duplicates", fmt(b.near_examples), "examples with one or more")));
    var cov = b.coverage, nb = cov.bins.length;
    var values = [cov.zero].concat(cov.bins);
    var colorOf = function (i) {
      if (i === 0) return "#b8c0ca";
      var x0 = (i - 1) / nb;
      return x0 >= b.dirty_at - 1e-12 ? "#c2410c" : x0 >= b.clean_below - 1e-12 ? "#d69e2e" : "#2f855a";
    };
    var covChart = bars({
      series: [{ name: "examples", color: "#2f855a", values: values }], log: true, countsOnTop: nb <= 24,
      color: function (i) { return colorOf(i); },
      xLabel: function (i) { if (i < 2) return null; var v = (i - 1) / nb; return Math.abs(v * 4 - Math.round(v * 4)) < 1e-9 ? pct(v, 0) : null; },
      catLabel: function (i) { return i === 0 ? "none" : null; },
      tip: function (i, sr) { return fmt(sr.values[i]) + " judged examples with coverage " + (i === 0 ? "0" : pct((i - 1) / nb, 0) + "–" + pct(i / nb, 0)); },
      marks: [{ at: 1 + b.clean_below * nb, label: pct(b.clean_below, 0), color: "#2f855a" }, { at: 1 + b.dirty_at * nb, label: pct(b.dirty_at, 0), color: "#c2410c", left: true }],
      xTitle: "coverage: fraction of an example's words inside matched n-grams", yTitle: "judged examples (log scale)"
    });
    s.appendChild(h("div", { class: "charts" }, chart("Coverage of " + b.name, "Judged examples by coverage; the first bar holds those with no match.", covChart,
      legend([["no match", "#b8c0ca"], ["< " + pct(b.clean_below, 0) + " (clean)", "#2f855a"], ["between", "#d69e2e"], ["≥ " + pct(b.dirty_at, 0) + " (dirty)", "#c2410c"]]))));

    // dirty examples
    s.appendChild(h("h3", { style: "margin:22px 0 2px", text: "Dirty examples · " + b.dirty_shown.length + " of " + fmt(b.dirty_total) }));
    var nd = b.dirty_shown.length;
    s.appendChild(h("p", { class: "rule", text: (nd === b.dirty_total ? "All " + fmt(nd) + " dirty examples, highest coverage first. " : "The " + fmt(nd) + " of " + fmt(b.dirty_total) + " dirty examples of highest coverage (ties: input order). ") + "Left: the example. Right: the training text around each match (up to " + o.matches + " training documents per example). Highlighted on both: the example's n-grams that occur in the training documents shown — the matches contamination.jsonl lists, and every other occurrence in those documents, found again for this page." }));
    if (!b.dirty_shown.length) s.appendChild(h("div", { class: "empty", text: "No dirty examples." }));
    b.dirty_shown.forEach(function (e, ei) {
      var doc = docs[e.doc], ids = [doc.id];
      var right = h("div", { class: "doc" });
      e.trains.forEach(function (t) {
        ids.push(t.id);
        var offs = t.offsets.slice(0, 8).map(fmt).join(", ") + (t.offsets.length > 8 ? ", …" : "");
        right.appendChild(h("div", { class: "train" },
          trainHead(t, h("span", { class: "meta", text: (t.offsets.length === 1 ? "match at byte " : t.offsets.length + " matches at bytes ") + offs })),
          t.misplaced ? h("div", { class: "warn", text: "Some matched words are not at the offsets contamination.jsonl gives." }) : null,
          excerpts(t)));
      });
      if (e.train_docs > e.trains.length) right.appendChild(h("div", { class: "meta", text: "+ " + fmt(e.train_docs - e.trains.length) + " more training documents" }));
      var matches = fmt(e.listed) + " matched span" + (e.listed === 1 ? "" : "s") + (e.more ? " listed (+ " + fmt(e.more) + " not listed: --max-matches)" : "") + (e.longest ? " · longest match " + fmt(e.longest) + " words" : "");
      var item = h("details", { class: "item", id: anchorId("ex-" + b.name, doc.id), "data-example": doc.id, open: ei < 6 },
        h("summary", null,
          h("span", { class: "title mono", text: doc.id }),
          h("span", { class: "tag dirty", text: "dirty" }),
          h("span", { class: "meta", text: "coverage " + pct(e.coverage, 1) + " · " + fmt(e.words) + " words · " + matches + " · " + fmt(e.train_docs) + " training document" + (e.train_docs === 1 ? "" : "s") })),
        h("div", { class: "body" }, h("div", { class: "pair" },
          h("div", { class: "doc" }, h("div", { class: "doc-head" }, h("span", { class: "tag dirty", text: "example" }), h("span", { class: "id", text: doc.id }), where(doc)), docText(doc, e.hl)),
          right)));
      register(item, ids, "example");
      s.appendChild(item);
    });

    // near duplicates
    s.appendChild(h("h3", { style: "margin:22px 0 2px", text: "Near duplicates · " + b.near_shown.length + " of " + fmt(b.near_total) }));
    var nn = b.near_shown.length;
    s.appendChild(h("p", { class: "rule", text: "Examples with a training window of about their length whose word 5-grams have Jaccard ≥ the near threshold: " + (nn === b.near_total ? "all " + fmt(nn) : fmt(nn) + " of " + fmt(b.near_total)) + ", those the n-gram verdict did not make dirty first, then by highest Jaccard. They are reported beside the verdict, not in it. Highlighted: the 5-grams the example and the window share (the window is recomputed here: of its length class, the one with the highest Jaccard)." }));
    if (!b.near_shown.length) s.appendChild(h("div", { class: "empty", text: "No near duplicates." }));
    b.near_shown.forEach(function (e, ei) {
      var doc = docs[e.doc], ids = [doc.id];
      var view = h("div");
      var tabs = h("div", { class: "tabs", role: "tablist" });
      var show = function (t) {
        var jl = h("span", { class: "meta jacc" }, "Jaccard ", h("b", { text: jac(t.jaccard) }), t.check !== undefined ? " · this window " + jac(t.check) : null);
        view.replaceChildren(h("div", { class: "pair" },
          h("div", { class: "doc" }, h("div", { class: "doc-head" }, h("span", { class: "tag near", text: "example" }), h("span", { class: "id", text: doc.id }), where(doc)), docText(doc, t.he || [])),
          h("div", { class: "doc" }, trainHead(t, jl), excerpts(t))));
      };
      e.near.forEach(function (t, ti) {
        ids.push(t.id);
        var btn = h("button", { type: "button", role: "tab", "aria-selected": ti === 0 ? "true" : "false" }, t.id + " · J " + jac(t.jaccard));
        btn.addEventListener("click", function () {
          Array.prototype.forEach.call(tabs.children, function (x) { x.setAttribute("aria-selected", "false"); });
          btn.setAttribute("aria-selected", "true");
          show(t);
        });
        tabs.appendChild(btn);
      });
      if (e.near.length) show(e.near[0]);
      var item = h("details", { class: "item", "data-near": doc.id, open: ei < 3 },
        h("summary", null,
          h("span", { class: "title mono", text: doc.id }),
          e.dirty ? h("span", { class: "tag dirty", text: "also dirty" }) : h("span", { class: "tag plain", text: "not dirty" }),
          h("span", { class: "meta", text: fmt(e.count) + " near duplicate" + (e.count === 1 ? "" : "s") + " · best J " + jac(e.near.reduce(function (m, t) { return Math.max(m, t.jaccard); }, 0)) })),
        h("div", { class: "body" }, e.near.length > 1 ? tabs : null, view, e.count > e.near.length ? h("div", { class: "meta", text: "+ " + fmt(e.count - e.near.length) + " more" }) : null));
      register(item, ids, "near example");
      s.appendChild(item);
    });

    // dirty ids
    s.appendChild(h("h3", { style: "margin:22px 0 2px", text: "Dirty ids · " + fmt(b.listed.length) + " of " + fmt(b.dirty_total) }));
    s.appendChild(h("p", { class: "rule", text: "The first dirty examples in contamination.jsonl order (" + fmt(o.list) + " ids at most across benchmarks); the search box filters them." }));
    var tbody = h("tbody");
    b.listed.forEach(function (r) {
      var tr = h("tr", null, h("td", { class: "id", text: r[0] }), h("td", { class: "num", text: pct(r[1], 1) }), h("td", { class: "num", text: fmt(r[2]) }));
      register(tr, [r[0]], "row");
      tbody.appendChild(tr);
    });
    s.appendChild(h("div", { class: "table-wrap", style: "max-height:22em" }, h("table", { class: "dirty-table" },
      h("thead", null, h("tr", null, h("th", { text: "example id" }), h("th", { class: "num", text: "coverage" }), h("th", { class: "num", text: "longest match" }))), tbody)));
    return s;
  }

  // ---- render ----------------------------------------------------------------------------------

  if (data.command === "dedup") document.body.setAttribute("data-highlight", highlight);
  if (data.command === "dedup") renderDedup();
  else renderContam();
  app.appendChild(footer());
  // A link to report.html#q=ID opens the page searched for ID.
  if (location.hash.slice(0, 3) === "#q=") {
    var q = decodeURIComponent(location.hash.slice(3));
    document.getElementById("search").value = q;
    search(q);
  }
  // report.html#hl=shared opens it with the shared shingles highlighted (through the toggle).
  var hlToggle = document.getElementById("hl-shared");
  if (location.hash === "#hl=shared" && hlToggle && !hlToggle.checked) hlToggle.click();
  document.documentElement.setAttribute("data-rendered", data.command);
  // Milliseconds from the start of navigation to the end of rendering (tests print it).
  document.documentElement.setAttribute("data-render-ms", String(Math.round(performance.now())));
})();
