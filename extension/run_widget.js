// The run widget's front end: a plain ES module loaded by anywidget (no build step).
// The kernel sends `steps` once and then only the changed steps in `step_updates`;
// `initialize` merges those deltas into the model's `steps` (locally, not saved back), and every
// view redraws from `steps`.

const STATUS_LABEL = {
  pending: "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  up_for_retry: "up for retry",
};

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function formatMs(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function formatSeconds(s) {
  if (!s) return "0.0 s";
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function initialize({ model }) {
  let lastSeq = 0;
  model.on("change:step_updates", () => {
    const update = model.get("step_updates") || {};
    if (!update.seq || update.seq === lastSeq) return;
    lastSeq = update.seq;
    model.set("steps", { ...(model.get("steps") || {}), ...(update.steps || {}) });
  });
}

function render({ model, el }) {
  el.classList.add("np-run-widget");
  const header = h("div", "np-header");
  const title = h("span", "np-title");
  const status = h("span", "np-status");
  const bar = h("div", "np-progress");
  const barFill = h("div", "np-progress-fill");
  bar.appendChild(barFill);
  const counts = h("span", "np-counts");
  const elapsed = h("span", "np-elapsed");
  header.append(title, status, bar, counts, elapsed);

  const body = h("div", "np-body");
  const graph = h("div", "np-graph");
  const list = h("div", "np-steps");
  const detail = h("div", "np-detail");
  body.append(graph, list);
  el.append(header, body, detail);

  let graphNodes = {}; // solid handle -> <g class="node">

  function select(key) {
    model.set("selected_step", key);
    model.save_changes();
  }

  function drawGraph() {
    graph.innerHTML = model.get("svg") || "";
    graphNodes = {};
    for (const g of graph.querySelectorAll("g.node")) {
      const t = g.querySelector("title");
      if (!t) continue;
      const handle = t.textContent.trim();
      graphNodes[handle] = g;
      g.addEventListener("click", () => {
        const steps = model.get("steps") || {};
        const key = Object.keys(steps).find((k) => steps[k].handle === handle);
        if (key) select(key);
      });
    }
    graph.style.display = graph.innerHTML ? "" : "none";
    colourGraph();
  }

  function colourGraph() {
    const colors = model.get("colors") || {};
    const steps = model.get("steps") || {};
    for (const key of Object.keys(steps)) {
      const g = graphNodes[steps[key].handle];
      if (!g) continue;
      const fill = colors[steps[key].status] || colors.pending || "#ffffff";
      for (const shape of g.querySelectorAll("polygon, path, ellipse")) {
        shape.setAttribute("fill", fill);
      }
      g.classList.toggle("np-selected", key === model.get("selected_step"));
    }
  }

  function drawHeader() {
    title.textContent = `${model.get("pipeline_name") || "run"} ${model.get("run_id") || ""}`;
    const runStatus = model.get("status") || "";
    status.textContent = runStatus;
    status.className = `np-status np-status-${runStatus.toLowerCase()}`;
    const p = model.get("progress") || { done: 0, total: 0 };
    barFill.style.width = p.total ? `${(100 * p.done) / p.total}%` : "0%";
    counts.textContent = `${p.done}/${p.total} steps`;
    elapsed.textContent = formatSeconds(model.get("elapsed"));
  }

  function drawList() {
    const colors = model.get("colors") || {};
    const steps = model.get("steps") || {};
    const selected = model.get("selected_step");
    list.replaceChildren();
    for (const key of Object.keys(steps)) {
      const step = steps[key];
      const row = h("div", "np-step");
      if (key === selected) row.classList.add("np-selected");
      const dot = h("span", "np-dot");
      dot.style.background = colors[step.status] || "#ffffff";
      row.append(
        dot,
        h("span", "np-step-key", key),
        h("span", "np-step-status", STATUS_LABEL[step.status] || step.status),
        h("span", "np-step-duration", formatMs(step.duration_ms)),
      );
      row.addEventListener("click", () => select(key));
      list.appendChild(row);
    }
  }

  function drawDetail() {
    const d = model.get("step_detail") || {};
    detail.replaceChildren();
    if (!d.step_key) {
      detail.style.display = "none";
      return;
    }
    detail.style.display = "";
    detail.appendChild(
      h("div", "np-detail-title", `${d.step_key}: ${STATUS_LABEL[d.status] || d.status || ""} ${formatMs(d.duration_ms)}`),
    );
    if (d.error) {
      detail.append(h("div", "np-section", "Error"), h("pre", "np-error", d.error));
    }
    const events = h("ul", "np-events");
    for (const e of d.events || []) {
      events.appendChild(h("li", "", `${e.type}: ${e.message}`));
    }
    detail.append(h("div", "np-section", "Events"), events);
    if (d.stdout) detail.append(h("div", "np-section", "stdout"), h("pre", "np-stdout", d.stdout));
    if (d.stderr) detail.append(h("div", "np-section", "stderr"), h("pre", "np-stderr", d.stderr));
  }

  const onSteps = () => {
    colourGraph();
    drawList();
  };
  model.on("change:svg", drawGraph);
  model.on("change:steps", onSteps);
  model.on("change:selected_step", onSteps);
  model.on("change:step_detail", drawDetail);
  for (const name of ["status", "progress", "elapsed", "pipeline_name", "run_id"]) {
    model.on(`change:${name}`, drawHeader);
  }
  drawHeader();
  drawGraph();
  drawList();
  drawDetail();

  return () => {
    model.off("change:svg", drawGraph);
    model.off("change:steps", onSteps);
    model.off("change:selected_step", onSteps);
    model.off("change:step_detail", drawDetail);
    for (const name of ["status", "progress", "elapsed", "pipeline_name", "run_id"]) {
      model.off(`change:${name}`, drawHeader);
    }
  };
}

export default { initialize, render };
