// sqllint HTML report: draws each plan tree as inline SVG from the JSON embedded in the page.
// Nodes are sized and coloured by estimated rows (log scale); full table scans get a red outline and a
// "FULL SCAN" tag. No network, no libraries.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var NODE_H = 46, GAP_X = 14, GAP_Y = 34, MIN_W = 150, MAX_W = 300;
  var data = JSON.parse(document.getElementById("sqllint-plans").textContent);
  var maxRows = 1;
  Object.keys(data).forEach(function (key) {
    data[key].forEach(function (block) { walkTables(block, function (t) { maxRows = Math.max(maxRows, t.rows || 1); }); });
  });

  function walkTables(block, visit) {
    block.tables.forEach(function (t) { visit(t); t.reads.forEach(function (b) { walkTables(b, visit); }); });
    block.subqueries.forEach(function (b) { walkTables(b, visit); });
  }

  function scale(rows) {  // 0 … 1 on a log scale of the largest estimate in the report
    return Math.log10(Math.max(1, rows || 1)) / Math.log10(Math.max(10, maxRows));
  }

  function colour(rows) {  // green → amber → red
    var s = Math.min(1, scale(rows)), hue = 120 - 120 * s;
    return "hsl(" + hue.toFixed(0) + ", 70%, " + (88 - 30 * s).toFixed(0) + "%)";
  }

  function fmt(n) { return n === null || n === undefined ? "?" : n.toLocaleString("en-US"); }

  // The drawn tree: a block node holds its tables (in join order); a table holds the derived blocks it
  // reads; a block also holds its subqueries.
  function toNode(block) {
    var title = "block " + (block.block === null ? "∪" : block.block) + " " + block.select_type;
    var node = {kind: "block", label: title, sub: block.notes.length ? "[" + block.notes.join(", ") + "]" : "",
                width: MIN_W, children: []};
    node.width = fit(node);
    block.tables.forEach(function (t) {
      var name = t.table + (t.base_table && t.base_table !== t.table ? " (" + t.base_table + ")" : "");
      var rows = t.rows || 0;
      var child = {kind: "table", label: t.order + ". " + name,
                   sub: (t.access_type || "?") + (t.key ? " · " + t.key : " · no key") + " · ~" + fmt(t.rows) +
                     (t.rows === 1 ? " row" : " rows"),
                   rows: rows, full: t.full_scan, table: t.base_table || t.table,
                   width: MIN_W + (MAX_W - MIN_W) * scale(rows), children: t.reads.map(toNode)};
      child.width = fit(child);
      node.children.push(child);
    });
    block.subqueries.forEach(function (b) { node.children.push(toNode(b)); });
    return node;
  }

  function fit(node) {  // never narrower than its text (12px labels, 11px monospace details)
    return Math.max(node.width, node.label.length * 7.2 + 18, node.sub.length * 6.7 + 18);
  }

  function measure(node) {
    var kids = node.children.reduce(function (sum, c) { return sum + measure(c); }, 0);
    kids += Math.max(0, node.children.length - 1) * GAP_X;
    node.span = Math.max(node.width, kids);
    return node.span;
  }

  function place(node, left, depth) {
    node.y = depth * (NODE_H + GAP_Y);
    node.x = left + (node.span - node.width) / 2;
    var kids = node.children.reduce(function (s, c) { return s + c.span; }, 0) +
      Math.max(0, node.children.length - 1) * GAP_X;
    var cursor = left + (node.span - kids) / 2;
    node.children.forEach(function (c) { place(c, cursor, depth + 1); cursor += c.span + GAP_X; });
  }

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, content, cls) {
    var t = el("text", {x: x, y: y, "class": cls}, parent);
    t.textContent = content;
    return t;
  }

  function draw(svg, node) {
    node.children.forEach(function (c) {
      el("path", {"class": "plan-edge", d: "M" + (node.x + node.width / 2) + "," + (node.y + NODE_H) +
        " C" + (node.x + node.width / 2) + "," + (node.y + NODE_H + GAP_Y / 2) + " " + (c.x + c.width / 2) + "," +
        (c.y - GAP_Y / 2) + " " + (c.x + c.width / 2) + "," + c.y}, svg);
      draw(svg, c);
    });
    var g = el("g", {"class": "plan-node plan-" + node.kind + (node.full ? " full-scan" : ""),
                     transform: "translate(" + node.x + "," + node.y + ")"}, svg);
    if (node.kind === "table") {
      g.setAttribute("data-table", node.table || "");
      g.setAttribute("data-rows", String(node.rows));
      g.setAttribute("data-full-scan", node.full ? "true" : "false");
    }
    el("rect", {width: node.width, height: NODE_H, rx: 7,
                fill: node.kind === "table" ? colour(node.rows) : "#eef1f6"}, g);
    var title = el("title", {}, g);
    title.textContent = node.label + "\n" + node.sub;
    text(g, 8, 18, node.label, "plan-label");
    text(g, 8, 36, node.sub, "plan-sub");
    if (node.full) {
      var tag = el("g", {"class": "scan-tag", transform: "translate(" + (node.width - 74) + ",-9)"}, g);
      el("rect", {width: 70, height: 16, rx: 4}, tag);
      text(tag, 35, 12, "FULL SCAN", "scan-text");
    }
  }

  function render(container) {
    var blocks = data[container.getAttribute("data-plan")];
    if (!blocks || !blocks.length) return;
    var root = blocks.length === 1 ? toNode(blocks[0]) :
      {kind: "block", label: "statement", sub: "", width: MIN_W, children: blocks.map(toNode)};
    measure(root);
    place(root, 0, 0);
    var depth = 0;
    (function deepest(n, d) { depth = Math.max(depth, d); n.children.forEach(function (c) { deepest(c, d + 1); }); })(root, 0);
    var width = root.span + 20, height = (depth + 1) * (NODE_H + GAP_Y) + 10;
    var svg = el("svg", {"class": "plan-svg", width: width, height: height, viewBox: "-10 -14 " + width + " " + height,
                         role: "img", "aria-label": "plan tree"});
    draw(svg, root);
    container.appendChild(svg);
    container.setAttribute("data-drawn", "true");
  }

  Array.prototype.forEach.call(document.querySelectorAll(".plan-tree[data-plan]"), render);
  document.body.setAttribute("data-trees-drawn", String(document.querySelectorAll(".plan-tree[data-drawn]").length));
})();
