/* The network view: nodes (persons, accounts, groups, series) and edges from the page's
   data-src JSON, laid out by a small force simulation and drawn as SVG. Nodes are
   circle.node elements: drag one to move it, drag the background to pan, wheel to zoom,
   click a node that has a page to open it. Vanilla JavaScript, nothing fetched elsewhere. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var HEIGHT = 540;
  var RADIUS = { person: 9, account: 6, group: 13, series: 13 };

  function el(name, attributes, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function shortLabel(node) {
    var label = node.label || node.id;
    return label.length > 28 ? label.slice(0, 26) + "…" : label;
  }

  function layout(nodes, edges, width, height) {
    var n = nodes.length;
    var area = width * height;
    var k = Math.min(Math.sqrt(area / Math.max(n, 1)) * 0.75, 140);
    nodes.forEach(function (node, i) {
      var angle = 2 * Math.PI * i / Math.max(n, 1);
      var ring = node.centre ? 0 : (node.kind === "person" ? 0.42 : 0.3);
      node.x = width / 2 + Math.cos(angle) * width * ring + (i % 7);
      node.y = height / 2 + Math.sin(angle) * height * ring + (i % 5);
    });
    var rounds = n > 400 ? 80 : 300;
    var temperature = width / 8;
    for (var round = 0; round < rounds; round++) {
      nodes.forEach(function (node) { node.dx = 0; node.dy = 0; });
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var a = nodes[i], b = nodes[j];
          var dx = a.x - b.x, dy = a.y - b.y;
          var distance = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01);
          var push = k * k / distance;
          a.dx += dx / distance * push; a.dy += dy / distance * push;
          b.dx -= dx / distance * push; b.dy -= dy / distance * push;
        }
      }
      edges.forEach(function (edge) {
        var a = edge.a, b = edge.b;
        var dx = a.x - b.x, dy = a.y - b.y;
        var distance = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01);
        var pull = distance * distance / k;
        a.dx -= dx / distance * pull; a.dy -= dy / distance * pull;
        b.dx += dx / distance * pull; b.dy += dy / distance * pull;
      });
      nodes.forEach(function (node) {
        var length = Math.max(Math.sqrt(node.dx * node.dx + node.dy * node.dy), 0.01);
        var step = Math.min(length, temperature);
        node.x = Math.min(width - 20, Math.max(20, node.x + node.dx / length * step));
        node.y = Math.min(height - 20, Math.max(20, node.y + node.dy / length * step));
      });
      temperature *= 0.985;
    }
  }

  function draw(box, data) {
    var width = Math.max(box.clientWidth || 0, 480);
    var byId = {};
    data.nodes.forEach(function (node) { byId[node.id] = node; });
    var edges = data.edges.filter(function (e) { return byId[e.source] && byId[e.target]; })
      .map(function (e) { return { a: byId[e.source], b: byId[e.target], kind: e.kind, weight: e.weight }; });
    layout(data.nodes, edges, width, HEIGHT);

    var svg = el("svg", { width: width, height: HEIGHT, viewBox: "0 0 " + width + " " + HEIGHT,
                          "class": "network-svg" });
    var background = el("rect", { x: 0, y: 0, width: width, height: HEIGHT, "class": "network-background" }, svg);
    var view = el("g", { "class": "viewport" }, svg);
    var pan = { x: 0, y: 0, scale: 1 };
    function applyView() {
      view.setAttribute("transform", "translate(" + pan.x + "," + pan.y + ") scale(" + pan.scale + ")");
    }

    edges.forEach(function (edge) {
      edge.line = el("line", { "class": "edge edge-" + edge.kind,
                               "stroke-width": Math.min(1 + Math.log(edge.weight || 1), 5) }, view);
      var title = el("title", {}, edge.line);
      title.textContent = edge.kind + (edge.weight > 1 ? " (" + edge.weight + ")" : "");
    });
    data.nodes.forEach(function (node) {
      var group = el("g", { "class": "node-group" }, view);
      node.circle = el("circle", { "class": "node node-" + node.kind + (node.first ? " node-first" : "") +
                                   (node.centre ? " node-centre" : ""),
                                   r: RADIUS[node.kind] || 6, "data-id": node.id }, group);
      var title = el("title", {}, node.circle);
      title.textContent = node.kind + ": " + (node.label || node.id);
      node.text = el("text", { "class": "node-label", dx: 10, dy: 4 }, group);
      node.text.textContent = shortLabel(node);
    });

    function place() {
      edges.forEach(function (edge) {
        edge.line.setAttribute("x1", edge.a.x); edge.line.setAttribute("y1", edge.a.y);
        edge.line.setAttribute("x2", edge.b.x); edge.line.setAttribute("y2", edge.b.y);
      });
      data.nodes.forEach(function (node) {
        node.circle.setAttribute("cx", node.x); node.circle.setAttribute("cy", node.y);
        node.text.setAttribute("x", node.x); node.text.setAttribute("y", node.y);
      });
    }

    function point(event) {
      var bounds = svg.getBoundingClientRect();
      return { x: (event.clientX - bounds.left - pan.x) / pan.scale,
               y: (event.clientY - bounds.top - pan.y) / pan.scale };
    }

    var dragging = null;
    data.nodes.forEach(function (node) {
      node.circle.addEventListener("pointerdown", function (event) {
        event.stopPropagation();
        dragging = { node: node, moved: false };
        node.circle.setPointerCapture(event.pointerId);
      });
      node.circle.addEventListener("pointermove", function (event) {
        if (!dragging || dragging.node !== node) { return; }
        var p = point(event);
        node.x = p.x; node.y = p.y; dragging.moved = true;
        place();
      });
      node.circle.addEventListener("pointerup", function () {
        var wasClick = dragging && !dragging.moved;
        dragging = null;
        if (wasClick && node.href) { window.location.assign(node.href); }
      });
    });

    var panning = null;
    background.addEventListener("pointerdown", function (event) {
      panning = { x: event.clientX - pan.x, y: event.clientY - pan.y };
      background.setPointerCapture(event.pointerId);
    });
    background.addEventListener("pointermove", function (event) {
      if (!panning) { return; }
      pan.x = event.clientX - panning.x; pan.y = event.clientY - panning.y;
      applyView();
    });
    background.addEventListener("pointerup", function () { panning = null; });
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      pan.scale = Math.min(4, Math.max(0.25, pan.scale * (event.deltaY < 0 ? 1.1 : 0.9)));
      applyView();
    }, { passive: false });

    place();
    box.textContent = "";
    box.appendChild(svg);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("network");
    if (!box) { return; }
    box.textContent = "Loading the network…";
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) { draw(box, data); })
      .catch(function () { box.textContent = "The network could not be loaded."; });
  });
})();
