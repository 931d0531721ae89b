/* gradtrace explorer: steps through the frames of one graph's forward and backward pass.

   Hand-written, no library, nothing fetched. Each explorer is a <div class="gradtrace-explorer">
   holding one SVG picture of the graph and its data (<script type="application/json"
   class="gt-data">); this script sets up every explorer on the page once, so two in one
   notebook never clash. The picture is laid out once with every changing text at its widest;
   data.slots says, per wire (by its Graphviz name, data-name), which gradient text shows from
   which backward step on ("g": [[step, text], ...]; a small tensor's text is its rows, a list
   of lists of numbers' texts, one per number of the grid in the picture) and at which backward step the product
   local x upstream shows ("p": [step, text]). Forward steps dim what is not computed yet. */
(function () {
  "use strict";

  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var data = JSON.parse(root.querySelector("script.gt-data").textContent);
    var steps = data.steps, nodes = data.nodes, names = data.names;
    var frames = Array.prototype.slice.call(root.querySelectorAll(".gt-frame"));
    var slider = root.querySelector(".gt-slider");
    var counter = root.querySelector(".gt-counter");
    var caption = root.querySelector(".gt-caption");
    var panel = root.querySelector(".gt-panel");
    var playButton = root.querySelector(".gt-play");
    var useFragment = root.dataset.fragment === "1";
    var last = steps.length - 1;
    var zoomButton = root.querySelector(".gt-zoom");
    var step = -1, pinned = null, hovered = null, timer = null;
    var naturalWidth = 0, zoomed = false;
    var prepared = {};
    var slotsByName = data.slots || {};
    var slotList = Object.keys(slotsByName).map(function (k) { return slotsByName[k]; });
    var targets = [];  // each node's keyboard stop and its <title>

    function nodeNamed(name) {
      return Object.prototype.hasOwnProperty.call(names, name) ? names[name] : null;
    }

    // A transparent box behind a node, so a whole wire label (not only its glyphs) is a target.
    function addHitArea(g, box) {
      var rect = document.createElementNS(g.namespaceURI, "rect");
      rect.setAttribute("class", "gt-hit");
      rect.setAttribute("x", box.x - 2);
      rect.setAttribute("y", box.y - 2);
      rect.setAttribute("width", box.width + 4);
      rect.setAttribute("height", box.height + 4);
      var title = g.querySelector("title");
      g.insertBefore(rect, title ? title.nextSibling : g.firstChild);
    }

    // The SVG elements of each node in frame j (data-node, written by the page: n3 the gate,
    // w3 its wire, w3_1 a branch, b3 the split dot; an arrow belongs to the node it leaves),
    // and the texts of each wire that change from step to step (data.slots). Every size is
    // measured first and every change made after, so the browser lays the picture out once.
    function prepare(j) {
      if (prepared[j]) return prepared[j];
      var byNode = {}, boxes = [], texts = [], classes = [];
      var groups = frames[j].querySelectorAll("g.node[data-node], g.edge[data-node]");
      // Measured at actual size: Chromium measures SVG text at the size it draws it, too
      // wide for a big graph fitted into the window.
      var svg = frames[j].querySelector("svg"), width = svg ? svg.style.width : "";
      var view = svg && svg.viewBox.baseVal;
      if (view && view.width) svg.style.width = view.width * 4 / 3 + "px";
      Array.prototype.forEach.call(groups, function (g) {
        var i = +g.getAttribute("data-node");
        (byNode[i] = byNode[i] || []).push(g);
        var slot = slotsByName[g.getAttribute("data-name")];
        Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
          var fill = (t.getAttribute("fill") || "").toLowerCase();
          if (fill === data.valueColor) classes.push([t, "gt-val"]);
          if (fill === data.gradColor) classes.push([t, "gt-grad"]);
          if (!slot) return;
          if (fill === data.gradColor && slot.g) texts.push([slot, "gradTexts", t]);
          if (fill === data.productColor && slot.p) texts.push([slot, "productText", t]);
        });
        if (g.classList.contains("node")) boxes.push([g, g.getBBox()]);
      });
      if (svg) svg.style.width = width;
      boxes.forEach(function (b) { addHitArea(b[0], b[1]); });
      classes.forEach(function (c) { c[0].classList.add(c[1]); });
      texts.forEach(function (x) {
        // the page anchored it at the middle of its wire; a grid has one text per number
        if (x[1] === "gradTexts") (x[0].gradTexts = x[0].gradTexts || []).push(x[2]);
        else x[0][x[1]] = x[2];
        x[2].textContent = "";
      });
      prepared[j] = byNode;
      return byNode;
    }

    // A chain-rule path, [its last factor, the product], written out as explain writes it:
    // each factor is [the factor before it or -1, its name, its number] (viz/page_paths.py).
    function pathText(p) {
      var names = [], nums = [];
      for (var k = p[0]; k !== -1; k = data.factors[k][0]) {
        names.unshift(data.factors[k][1]);
        nums.unshift(data.factors[k][2]);
      }
      return (names.join(" · ") || "1") + " = " + (nums.join(" × ") || "1") + " = " + p[1];
    }

    // A tensor's rows on one line, for the words a screen reader says: "[[1, 2], [3, 4]]".
    function inline(rows) {
      var said = rows.map(function (r) { return "[" + r.join(", ") + "]"; }).join(", ");
      return rows.length > 1 ? "[" + said + "]" : said;
    }

    // What backward step b (-1: still forward) shows in each wire's changing texts.
    function showSlots(b) {
      slotList.forEach(function (slot) {
        if (slot.gradTexts) {
          var text = "";
          for (var c = 0; c < slot.g.length && slot.g[c][0] <= b; c++) text = slot.g[c][1];
          // a small tensor's gradient is its rows, written number by number into the grid
          var cells = Array.isArray(text) ? [].concat.apply([], text) : [text];
          slot.gradTexts.forEach(function (t, k) {
            var said = cells[k] === undefined ? "" : cells[k];
            if (t.textContent !== said) t.textContent = said;
          });
          slot.grad = Array.isArray(text) ? inline(text) : text;
        }
        if (slot.productText) {
          var p = slot.p[0] === b ? slot.p[1] : "";
          if (slot.productText.textContent !== p) slot.productText.textContent = p;
        }
      });
    }

    // The node in words, as its <title> says it to a screen reader (and as a tooltip).
    function describe(i, s) {
      var n = nodes[i];
      if (s.phase === "forward" && n.forward > s.at) {
        return n.name + ", the " + n.op + " gate: not computed yet";
      }
      var said = n.name + " = " + (n.says || n.value);
      if (!n.op) said += ", an input";
      var slot = slotsByName["w" + i];
      var grad = s.phase === "backward" && slot ? slot.grad : "";
      said += grad ? ", gradient " + grad : ", no gradient yet";
      if (n.inputs.length === 1) said += ", local gradient " + n.inputs[0].local;
      else if (n.inputs.length) {
        said += ", local gradients " + n.inputs.map(function (inp) {
          return inp.local + " (" + nodes[inp.node].name + ")";
        }).join(", ");
      }
      return said;
    }

    function describeAll(s) {
      targets.forEach(function (t) {
        var said = describe(t.node, s);
        if (t.title.textContent !== said) t.title.textContent = said;
      });
    }

    // One view box for every frame: the union of what the frames draw (their own captions
    // left out, the page shows the caption), so the graph keeps its place from step to step.
    function frameBox(svg) {
      var graph = svg.querySelector("g.graph");
      if (!graph) return null;
      var box = graph.getBBox();
      var m = graph.transform.baseVal.consolidate();
      m = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 };
      return { x: m.a * box.x + m.e, y: m.d * box.y + m.f, w: m.a * box.width,
        h: m.d * box.height };
    }

    function fitFrames() {
      var union = null;
      frames.forEach(function (f) {
        var svg = f.querySelector("svg");
        if (!svg) return;
        var hidden = f.hidden;
        f.hidden = false;
        var b = frameBox(svg);
        f.hidden = hidden;
        if (!b || !b.w) return;
        if (!union) union = b;
        else {
          var x = Math.min(union.x, b.x), y = Math.min(union.y, b.y);
          union = { x: x, y: y, w: Math.max(union.x + union.w, b.x + b.w) - x,
            h: Math.max(union.y + union.h, b.y + b.h) - y };
        }
      });
      if (!union) return;
      var pad = 8, view = [union.x - pad, union.y - pad, union.w + 2 * pad, union.h + 2 * pad];
      frames.forEach(function (f) {
        var svg = f.querySelector("svg");
        if (svg) svg.setAttribute("viewBox", view.join(" "));
      });
      naturalWidth = view[2] * 4 / 3; // points to CSS pixels
      var box = root.querySelector(".gt-frames");
      zoomed = box.clientWidth > 0 && box.clientWidth / naturalWidth < 0.55;
      setZoom(zoomed);
    }

    function setZoom(on) {
      zoomed = on;
      root.classList.toggle("gt-zoomed", on);
      frames.forEach(function (f) {
        var svg = f.querySelector("svg");
        if (svg) svg.style.width = on ? naturalWidth + "px" : "";
      });
      zoomButton.textContent = on ? "fit" : "1:1";
      zoomButton.title = on ? "fit the graph in the window" : "actual size (scroll to move)";
    }

    function eachNodeGroup(byNode, fn) {
      Object.keys(byNode).forEach(function (key) {
        byNode[key].forEach(function (g) { fn(+key, g); });
      });
    }

    function show(k, fromFragment) {
      k = Math.max(0, Math.min(last, Math.round(+k) || 0));
      var s = steps[k];
      frames.forEach(function (f, j) { f.hidden = j !== s.frame; });
      var frame = frames[s.frame];
      var byNode = prepare(s.frame);
      var forward = s.phase === "forward";
      frame.classList.toggle("gt-forward", forward);
      eachNodeGroup(byNode, function (i, g) {
        g.classList.toggle("gt-pending", forward && nodes[i].forward > s.at);
        g.classList.toggle("gt-current", s.node !== null && i === s.node);
      });
      if (s.phase !== "network") {
        showSlots(forward ? -1 : s.at);
        describeAll(s);
      }
      step = k;
      root.setAttribute("data-step", k);
      slider.value = k;
      counter.textContent = "step " + k + " of " + last;
      caption.textContent = s.caption;
      if (useFragment && !fromFragment) keepFragment(k);
      renderPanel();
      if (zoomed && s.node !== null && byNode[s.node]) {
        var gate = byNode[s.node].filter(function (g) { return g.classList.contains("node"); });
        if (gate.length) follow(gate[0]);
      }
    }

    // At actual size, bring the gate at work to the middle of the view when it is near an
    // edge or out of sight (and leave the view alone while it is well inside).
    function follow(g) {
      var box = root.querySelector(".gt-frames");
      var b = box.getBoundingClientRect(), r = g.getBoundingClientRect(), margin = 60;
      if (r.left < b.left + margin || r.right > b.right - margin) {
        box.scrollLeft += (r.left + r.right - b.left - b.right) / 2;
      }
      if (r.top < b.top + margin || r.bottom > b.bottom - margin) {
        box.scrollTop += (r.top + r.bottom - b.top - b.bottom) / 2;
      }
    }

    function keepFragment(k) {
      var hash = "#step=" + k;
      if (location.hash === hash) return;
      try {
        history.replaceState(null, "", hash);
      } catch (e) {
        location.hash = hash;
      }
    }

    function stepInFragment() {
      var m = /(?:^#|&)step=(\d+)/.exec(location.hash);
      return m ? +m[1] : null;
    }

    // ------------------------------------------------------------------ the node panel
    function el(tag, text, cls) {
      var e = document.createElement(tag);
      if (text !== undefined && text !== null) e.textContent = text;
      if (cls) e.className = cls;
      return e;
    }

    function nodeButton(i) {
      var b = el("button", nodes[i].name, "gt-link");
      b.type = "button";
      b.addEventListener("click", function () { pin(i); });
      return b;
    }

    function status(n, s) {
      if (s.phase === "forward") {
        if (n.forward > s.at) return "not computed yet (forward step " + n.forward + ")";
        return n.op ? "computed at forward step " + n.forward : "an input, known from the start";
      }
      if (n.first === null) return "no gradient flows back to it";
      if (s.at < n.first) return "gradient not reached yet (backward step " + n.first + ")";
      if (s.at < n.done) return "gradient partly in: complete after backward step " + n.done;
      return "gradient complete (backward step " + n.done + ")";
    }

    function row(dl, term, value) {
      dl.appendChild(el("dt", term));
      var dd = el("dd");
      if (typeof value === "string") dd.textContent = value;
      else dd.appendChild(value);
      dl.appendChild(dd);
    }

    function renderPanel() {
      var i = hovered !== null ? hovered : pinned;
      markSelected(i);
      panel.textContent = "";
      if (i === null || !nodes[i]) {
        panel.appendChild(el("p", data.note || "Hover over or click a node (a gate, a name, or " +
          "the numbers on a wire) to see its value, gradient and local gradients.", "gt-hint"));
        return;
      }
      var n = nodes[i], s = steps[step], rootName = nodes[data.root].name;
      var h2 = el("h2", n.name);
      h2.tabIndex = -1;
      panel.appendChild(h2);
      if (pinned === i) {
        var close = el("button", "close", "gt-close");
        close.type = "button";
        close.setAttribute("aria-label", "close the details of " + n.name + " (Escape)");
        close.addEventListener("click", closePanel);
        panel.appendChild(close);
      }
      var kind = n.op ? "the " + n.op + " gate" : "an input (leaf)";
      if (i === data.root) kind += ", the output";
      panel.appendChild(el("p", kind, "gt-kind"));
      panel.appendChild(el("p", status(n, s), "gt-status"));
      var dl = el("dl");
      row(dl, "value", n.value);
      var grad = n.parts || n.grad;
      row(dl, "∂" + rootName + "/∂" + n.name, grad);
      panel.appendChild(dl);
      if (n.parts) {
        panel.appendChild(el("p", "It is used " + n.users.length + " times: the gradients " +
          "that come back along each use add up.", "gt-note"));
      }
      if (n.inputs.length) {
        panel.appendChild(el("h3", n.hands ? "backward rules" : "local gradients"));
        // the gate's formula as the lecture writes it (its record), then its numbers here
        if (n.formula) panel.appendChild(el("p", "formula: " + n.formula, "gt-formula"));
        var table = el("table", null, "gt-locals");
        n.inputs.forEach(function (inp) {
          var tr = el("tr");
          var th = el("th");
          th.appendChild(document.createTextNode("∂" + n.name + "/∂"));
          th.appendChild(nodeButton(inp.node));
          tr.appendChild(th);
          tr.appendChild(el("td", inp.local));
          table.appendChild(tr);
        });
        panel.appendChild(table);
        panel.appendChild(el("p", n.hands || ("backward hands each input local × upstream = " +
          "local × " + n.grad), "gt-note"));
      }
      if (n.users.length) {
        var p = el("p", "used by: ", "gt-users");
        n.users.forEach(function (u, k) {
          if (k) p.appendChild(document.createTextNode(", "));
          p.appendChild(nodeButton(u));
        });
        panel.appendChild(p);
      }
      var chain = n.chain;
      if (chain && (chain.sum || chain.headline)) {
        panel.appendChild(el("h3", "chain rule"));
        if (chain.sum) panel.appendChild(el("p", chain.sum, "gt-explain"));
        if (chain.headline) {
          panel.appendChild(el("p", chain.paths.length ? chain.headline.replace(/:$/, ", " +
            "the sum over the paths back to it:") : chain.headline, "gt-note"));
          chain.paths.forEach(function (p) {
            panel.appendChild(el("p", pathText(p), "gt-explain"));
          });
        }
        chain.notes.forEach(function (t) { panel.appendChild(el("p", t, "gt-note")); });
      }
    }

    function markSelected(i) {
      var byNode = prepared[steps[step].frame] || {};
      eachNodeGroup(byNode, function (j, g) {
        g.classList.toggle("gt-selected", j === i && g.classList.contains("node"));
      });
    }

    function pin(i, fromKeyboard) {
      pinned = i;
      hovered = null;
      renderPanel();
      if (fromKeyboard && i !== null) {
        var heading = panel.querySelector("h2");
        if (heading) heading.focus();
      }
    }

    // Escape closes the panel and gives the focus back to the node it was opened from.
    function closePanel() {
      var was = pinned;
      pin(null);
      if (was !== null && nodes[was]) {
        var g = frames[steps[step].frame].querySelector(
          'g[role="button"][data-node="' + was + '"]');
        if (g) g.focus();
      }
    }

    function nodeAt(target) {
      var g = target.closest ? target.closest("g.node[data-node]") : null;
      return g ? +g.getAttribute("data-node") : null;
    }

    // ------------------------------------------------------------------ controls
    function play() {
      if (timer !== null) return pause();
      if (step >= last) show(0);
      playButton.textContent = "pause";
      timer = setInterval(function () {
        if (step >= last) pause();
        else show(step + 1);
      }, 900);
    }

    function pause() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      playButton.textContent = "play";
    }

    function onKey(e) {
      if (e.altKey || e.ctrlKey || e.metaKey || e.target === slider) return;
      var onButton = e.target.tagName === "BUTTON" || e.target.getAttribute("role") === "button";
      if (e.key === "Escape" && pinned !== null) {
        closePanel();
        e.preventDefault();
        return;
      }
      if (e.key === "ArrowRight") show(step + 1);
      else if (e.key === "ArrowLeft") show(step - 1);
      else if (e.key === "Home") show(0);
      else if (e.key === "End") show(last);
      else if (e.key === " " && !onButton) play();
      else return;
      e.preventDefault();
    }

    root.querySelector(".gt-first").addEventListener("click", function () { show(0); });
    root.querySelector(".gt-prev").addEventListener("click", function () { show(step - 1); });
    root.querySelector(".gt-next").addEventListener("click", function () { show(step + 1); });
    root.querySelector(".gt-last").addEventListener("click", function () { show(last); });
    playButton.addEventListener("click", play);
    zoomButton.addEventListener("click", function () { setZoom(!zoomed); });
    slider.addEventListener("input", function () { show(slider.value); });
    var box = root.querySelector(".gt-frames");
    box.addEventListener("mouseover", function (e) {
      var i = nodeAt(e.target);
      if (i !== hovered) { hovered = i; renderPanel(); }
    });
    box.addEventListener("mouseleave", function () { hovered = null; renderPanel(); });
    box.addEventListener("click", function (e) { pin(nodeAt(e.target)); });
    box.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " ") return;
      var i = nodeAt(e.target);
      if (i === null) return;
      pin(pinned === i && e.key === " " ? null : i, true);
      e.preventDefault();
      e.stopPropagation();
    });
    box.addEventListener("focusin", function (e) {
      var i = nodeAt(e.target);
      if (i !== null && zoomed) follow(e.target);
    });
    if (useFragment) {
      document.addEventListener("keydown", onKey);
      window.addEventListener("hashchange", function () {
        var k = stepInFragment();
        if (k !== null && k !== step) show(k, true);
      });
    } else {
      root.addEventListener("keydown", onKey); // in a notebook: only when it has the focus
    }
    if (last === 0) {
      Array.prototype.forEach.call(root.querySelectorAll(".gt-controls button, .gt-slider"),
        function (c) { c.disabled = true; });
    }
    prepare(0);
    Array.prototype.forEach.call(frames[0].querySelectorAll('g[role="button"][data-node]'),
      function (g) {
        var title = g.querySelector("title");
        if (title) targets.push({ node: +g.getAttribute("data-node"), title: title });
      });
    fitFrames();
    var start = useFragment ? stepInFragment() : null;
    show(start === null ? 0 : start, false);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".gradtrace-explorer"), setup);
})();
