// Small inline-SVG charts for the control room (no library, nothing fetched).
"use strict";
ballroom.charts = {
  // Twelve colours that stay apart for most readers; a thirteenth couple reuses with dashes.
  palette: ["#5b3fa8", "#d1495b", "#00798c", "#edae49", "#30638e", "#66a182", "#8e5572",
    "#e07a5f", "#3d405b", "#81b29a", "#b5838d", "#6d597a"],

  svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  },

  // Cumulative votes per couple over time, from the tally's per-minute net changes.
  lines(box, legend, tally, couples) {
    const { svg } = this;
    const width = 720, height = 260, left = 52, right = 12, top = 10, bottom = 28;
    const buckets = tally.buckets || [];
    const running = Object.fromEntries(couples.map((c) => [c.id, 0]));
    const points = Object.fromEntries(couples.map((c) => [c.id, []]));
    const times = [];
    for (const bucket of buckets) {
      const t = new Date(bucket.start).getTime();
      times.push(t);
      for (const c of couples) {
        running[c.id] += (bucket.votes || {})[c.id] || 0;
        points[c.id].push([t, running[c.id]]);
      }
    }
    const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
    if (!times.length) {
      chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "No votes yet"));
      box.replaceChildren(chart);
      legend.replaceChildren();
      return;
    }
    const t0 = times[0], t1 = Math.max(times[times.length - 1] + 60000, t0 + 60000);
    const top1 = Math.max(1, ...Object.values(running), ...Object.values(points).flat().map((p) => p[1]));
    const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
    const y = (v) => top + (1 - v / top1) * (height - top - bottom);
    const ticks = [...new Set([0, 1, 2, 3, 4].map((i) => Math.round((top1 * i) / 4)))];
    for (const v of ticks) {
      chart.append(svg("line", { class: "grid", x1: left, x2: width - right, y1: y(v), y2: y(v) }),
        svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, v.toLocaleString("en-US")));
    }
    const clock = (t) => new Date(t).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
    chart.append(svg("text", { x: left, y: height - 8 }, clock(t0)),
      svg("text", { x: width - right, y: height - 8, "text-anchor": "end" }, clock(t1)));
    couples.forEach((c, i) => {
      const colour = this.palette[i % this.palette.length];
      const path = [[t0, 0], ...points[c.id].map(([t, v]) => [t + 60000, v])]
        .map(([t, v], k) => `${k ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
      chart.append(svg("path", { d: path, fill: "none", stroke: colour, "stroke-width": 2.2,
        ...(i >= this.palette.length ? { "stroke-dasharray": "5 3" } : {}) }));
    });
    box.replaceChildren(chart);
    legend.replaceChildren(...couples.map((c, i) => ballroom.el("li", {},
      ballroom.el("i", { style: `background:${this.palette[i % this.palette.length]}` }), c.celebrity)));
  },

  // A horizontal bar of one share (0..1), with its percentage written beside it.
  share(value, colour) {
    const { svg } = this;
    const bar = svg("svg", { class: "chart", viewBox: "0 0 100 10", width: "100", height: "10",
      "aria-hidden": "true", preserveAspectRatio: "none", style: "max-width:8rem;height:.8rem" },
      svg("rect", { x: 0, y: 0, width: 100, height: 10, fill: "#eeeaf7" }),
      svg("rect", { x: 0, y: 0, width: Math.max(0, Math.min(100, value * 100)), height: 10, fill: colour }));
    return ballroom.el("span", { class: "row", style: "align-items:center;flex-wrap:nowrap" }, bar,
      ballroom.el("span", {}, ballroom.pct(value)));
  },
};
