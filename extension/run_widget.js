// The run widget's front end: a plain ES module loaded by anywidget (no build step).
// The kernel sends `steps` once and then only the changed steps in `step_updates`;
// `initialize` merges those deltas into the model's `steps` (locally, not saved back), and every
// view redraws from `steps`. While a run goes on, the elapsed time ticks here between the
// kernel's updates.
// The buttons send {type: "reexecute"} and the query box {type:
// "preview_query"} (picked steps: {type: "preview_steps"}) messages; the kernel answers through
// traits (`query_preview` with the steps and why they cannot be re-executed, `message`, and the
// new run's state once it follows it). A button is enabled only for a selection the kernel has
// checked (`failed_selection`, `query_preview`); why not is shown next to it. `compact` widgets
// (a second run in one cell) show a one-line summary that expands on click.

const STATUS_LABEL = {
  pending: "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  up_for_retry: "up for retry",
  canceled: "canceled",
  in_debugger: "in debugger",
};
const FINISHED = new Set(["SUCCESS", "FAILURE", "CANCELED"]);

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
  const merge = () => {
    const update = model.get("step_updates") || {};
    if (!update.seq || update.seq === lastSeq) return;
    lastSeq = update.seq;
    model.set("steps", { ...(model.get("steps") || {}), ...(update.steps || {}) });
  };
  model.on("change:step_updates", merge);
  merge(); // a model restored from saved state: its latest delta too
  model.on("change:run_id", () => {
    lastSeq = 0;
  });
}

function render({ model, el }) {
  el.classList.add("np-run-widget");
  const header = h("div", "np-header");
  const title = h("span", "np-title");
  const status = h("span", "np-status");
  const bar = h("div", "np-progress");
  const SEGMENTS = ["succeeded", "failed", "skipped", "canceled"];
  const segments = {};
  for (const kind of SEGMENTS) {
    segments[kind] = h("div", `np-progress-fill np-progress-${kind}`);
    segments[kind].dataset.kind = kind;
    bar.appendChild(segments[kind]);
  }
  const counts = h("span", "np-counts");
  const elapsed = h("span", "np-elapsed");
  const expand = h("span", "np-expand");
  header.append(expand, title, status, bar, counts, elapsed);
  let expanded = !model.get("compact");
  header.addEventListener("click", () => {
    if (!model.get("compact")) return;
    expanded = !expanded;
    drawCompact();
  });
  function drawCompact() {
    const compact = !!model.get("compact") && !expanded;
    el.classList.toggle("np-compact", compact);
    expand.textContent = model.get("compact") ? (compact ? "▸" : "▾") : "";
    expand.title = compact ? "show this run" : "fold";
  }

  const runs = h("div", "np-runs");
  const toolbar = h("div", "np-toolbar");
  const failedButton = h("button", "np-reexec-failed", "Re-execute failed");
  const selectedButton = h("button", "np-reexec-selected", "Re-execute selected");
  const query = h("input", "np-query");
  query.type = "text";
  query.placeholder = "selection, e.g. *clean+ or load.compute";
  const queryPreview = h("span", "np-query-preview");
  const failedReason = h("div", "np-failed-reason");
  const definitionNote = h("div", "np-definition");
  const staleNote = h("div", "np-stale");
  const message = h("div", "np-message");
  toolbar.append(failedButton, selectedButton, query, queryPreview);

  const body = h("div", "np-body");
  const graph = h("div", "np-graph");
  const list = h("div", "np-steps");
  const detail = h("div", "np-detail");
  body.append(graph, list);
  el.append(header, runs, staleNote, toolbar, failedReason, definitionNote, message, body, detail);

  let graphNodes = {}; // solid handle -> <g class="node">
  let chosen = new Set(); // step keys picked with ctrl/shift-click, for "Re-execute selected"
  let localSelected = model.get("selected_step") || ""; // shown at once, before the kernel answers
  let elapsedBase = 0;
  let elapsedAt = performance.now();
  let preview = {}; // the kernel's check of the query's (or the picked steps') selection

  function keyOfHandle(handle) {
    const steps = model.get("steps") || {};
    return Object.keys(steps).find((k) => steps[k].handle === handle);
  }

  function pick(key, event) {
    if (!key) return;
    if (event && (event.ctrlKey || event.metaKey || event.shiftKey)) {
      if (chosen.has(key)) chosen.delete(key);
      else chosen.add(key);
      query.value = "";
      showPreview({ steps: [...chosen], pending: true });
      if (chosen.size) model.send({ type: "preview_steps", steps: [...chosen] });
      onSteps();
      drawToolbar();
      return;
    }
    // asked with a message, never with save_changes(): that would also send the `steps` merged
    // here, and a kernel busy running the cell would take that stale copy when the run is over
    localSelected = key;
    model.send({ type: "select", step: key });
    onSteps();
    drawDetail();
  }

  function drawGraph() {
    graph.innerHTML = model.get("svg") || "";
    graphNodes = {};
    for (const g of graph.querySelectorAll("g.node")) {
      const t = g.querySelector("title");
      if (!t) continue;
      const handle = t.textContent.trim();
      graphNodes[handle] = g;
      g.addEventListener("click", (event) => pick(keyOfHandle(handle), event));
    }
    graph.style.display = graph.innerHTML ? "" : "none";
    colourGraph();
  }

  function colourGraph() {
    const colors = model.get("colors") || {};
    const steps = model.get("steps") || {};
    // solids with no step in this run (a re-execution of a part) are drawn faded
    const inRun = new Set(Object.values(steps).map((s) => s.handle));
    for (const [handle, g] of Object.entries(graphNodes)) {
      g.classList.toggle("np-not-in-run", Object.keys(steps).length > 0 && !inRun.has(handle));
    }
    for (const key of Object.keys(steps)) {
      const g = graphNodes[steps[key].handle];
      if (!g) continue;
      const fill = colors[steps[key].status] || colors.pending || "#ffffff";
      for (const shape of g.querySelectorAll("polygon, path, ellipse")) {
        shape.setAttribute("fill", fill);
      }
      g.dataset.stepKey = key;
      g.dataset.status = steps[key].status;
      g.classList.toggle("np-selected", key === localSelected);
      g.classList.toggle("np-chosen", chosen.has(key));
    }
  }

  function drawElapsed() {
    const running = model.get("status") === "STARTED";
    const extra = running ? (performance.now() - elapsedAt) / 1000 : 0;
    elapsed.textContent = formatSeconds((elapsedBase || 0) + extra);
  }

  function drawHeader() {
    title.textContent = `${model.get("pipeline_name") || "run"} ${model.get("run_id") || ""}`;
    const runStatus = model.get("status") || "";
    status.textContent = runStatus;
    status.className = `np-status np-status-${runStatus.toLowerCase()}`;
    el.dataset.status = runStatus;
    el.dataset.runId = model.get("run_id") || "";
    const p = model.get("progress") || { done: 0, total: 0 };
    for (const kind of SEGMENTS) {
      const n = p[kind] === undefined ? (kind === "succeeded" ? p.done : 0) : p[kind];
      segments[kind].style.width = p.total ? `${(100 * n) / p.total}%` : "0%";
      segments[kind].title = `${n} ${kind}`;
    }
    const parts = SEGMENTS.filter((k) => p[k]).map((k) => `${p[k]} ${k}`);
    const left = p.total - p.done;
    if (left && FINISHED.has(runStatus)) parts.push(`${left} not run`);
    else if (left) parts.push(`${left} to go`);
    counts.textContent = `${p.done}/${p.total} steps${parts.length ? ` (${parts.join(", ")})` : ""}`;
    drawElapsed();
    drawToolbar();
  }

  function onElapsed() {
    elapsedBase = model.get("elapsed") || 0;
    elapsedAt = performance.now();
    drawElapsed();
  }

  function drawRuns() {
    const ids = model.get("runs") || [];
    const parent = model.get("parent_run_id");
    runs.replaceChildren();
    if (ids.length < 2 && !parent) {
      runs.style.display = "none";
      return;
    }
    runs.style.display = "";
    if (parent && !ids.includes(parent)) {
      runs.append(h("span", "np-run-parent", `re-executes ${parent.slice(0, 8)}`));
    }
    ids.forEach((id, i) => {
      if (i) runs.append(h("span", "np-run-sep", " → "));
      const current = id === model.get("run_id");
      runs.append(h("span", current ? "np-run np-run-current" : "np-run", id.slice(0, 8)));
    });
  }

  function drawToolbar() {
    const can = !!model.get("can_reexecute");
    const finished = FINISHED.has(model.get("status"));
    const busy = !!model.get("busy");
    const steps = model.get("steps") || {};
    const anyNotSucceeded = Object.values(steps).some((s) => s.status !== "succeeded");
    const failed = model.get("failed_selection") || {};
    const failedProblem = finished && anyNotSucceeded ? failed.problem || "" : "";
    failedButton.disabled = !(can && finished && !busy && anyNotSucceeded && !failedProblem);
    failedButton.title = failedProblem
      ? `Cannot re-execute the failed steps: ${failedProblem}`
      : "Run again every step that did not succeed, reusing the others' outputs";
    failedReason.textContent = can && failedProblem ? `Re-execute failed: ${failedProblem}` : "";
    failedReason.style.display = failedReason.textContent ? "" : "none";
    // a selection counts once the kernel has checked it: steps, no error, no problem
    const wanted = chosen.size ? "" : query.value;
    const checked =
      !preview.pending &&
      (preview.query || "") === wanted &&
      (preview.steps || []).length > 0 &&
      !preview.error &&
      !preview.problem;
    selectedButton.disabled = !(can && finished && !busy && checked);
    selectedButton.title = preview.problem
      ? `Cannot re-execute this selection: ${preview.problem}`
      : "Run again the steps picked (ctrl/shift-click) or the query's selection";
    toolbar.style.display = can ? "" : "none";
    definitionNote.textContent = can && finished ? model.get("definition_note") || "" : "";
    definitionNote.style.display = definitionNote.textContent ? "" : "none";
    staleNote.textContent = model.get("stale_note") || "";
    staleNote.style.display = staleNote.textContent ? "" : "none";
  }

  function showPreview(shown) {
    preview = shown || {};
    const bad = preview.error || preview.problem;
    queryPreview.classList.toggle("np-query-error", !!bad);
    const steps = preview.steps || [];
    if (preview.error) {
      queryPreview.textContent = preview.error;
    } else if (steps.length) {
      const list = `${steps.length} step(s): ${steps.join(", ")}`;
      queryPreview.textContent = preview.problem ? `${list}. Cannot re-execute: ${preview.problem}` : list;
    } else {
      queryPreview.textContent = "";
    }
    drawToolbar();
  }

  let queryTimer = null;
  query.addEventListener("input", () => {
    chosen = new Set();
    preview = { pending: true };
    onSteps();
    drawToolbar();
    clearTimeout(queryTimer);
    queryTimer = setTimeout(() => model.send({ type: "preview_query", query: query.value }), 200);
  });
  failedButton.addEventListener("click", () => model.send({ type: "reexecute", from: "failed" }));
  selectedButton.addEventListener("click", () => {
    model.send({ type: "reexecute", from: "selected", steps: [...chosen], query: query.value });
    chosen = new Set();
  });

  function drawList() {
    const colors = model.get("colors") || {};
    const steps = model.get("steps") || {};
    const selected = localSelected;
    list.replaceChildren();
    for (const key of Object.keys(steps)) {
      const step = steps[key];
      const row = h("div", "np-step");
      row.dataset.stepKey = key;
      row.dataset.status = step.status;
      if (key === selected) row.classList.add("np-selected");
      if (chosen.has(key)) row.classList.add("np-chosen");
      const dot = h("span", "np-dot");
      dot.style.background = colors[step.status] || "#ffffff";
      row.append(
        dot,
        h("span", "np-step-key", key),
        h("span", "np-step-status", STATUS_LABEL[step.status] || step.status),
        h("span", "np-step-duration", formatMs(step.duration_ms)),
      );
      row.addEventListener("click", (event) => pick(key, event));
      list.appendChild(row);
    }
  }

  function drawDetail() {
    // the kernel's detail of the selected step when it has answered; until then (a kernel busy
    // running the cell answers only when the run is over) what the step's state carries
    const full = model.get("step_detail") || {};
    const key = localSelected;
    detail.replaceChildren();
    if (!key) {
      detail.style.display = "none";
      return;
    }
    const step = (model.get("steps") || {})[key] || {};
    const d = full.step_key === key ? { ...full, status: step.status || full.status } : null;
    const shown = d || { step_key: key, ...step, events: null };
    detail.style.display = "";
    detail.dataset.stepKey = key;
    detail.appendChild(
      h(
        "div",
        "np-detail-title",
        `${key}: ${STATUS_LABEL[shown.status] || shown.status || ""} ${formatMs(shown.duration_ms)}`,
      ),
    );
    if (shown.error) {
      detail.append(h("div", "np-section", "Error"), h("pre", "np-error", shown.error));
    }
    if (d && d.outputs && d.outputs.length) {
      detail.append(h("div", "np-section", "Outputs"));
      for (const out of d.outputs) {
        const box = h("div", "np-preview");
        box.dataset.output = out.name;
        box.append(h("div", "np-preview-name", `${out.name}${out.type ? ` (${out.type})` : ""}`));
        if (out.html) {
          const table = h("div", "np-preview-html");
          table.innerHTML = out.html; // pandas' own HTML, made in the kernel
          box.append(table);
        } else {
          box.append(h("pre", "np-preview-text", out.text));
        }
        detail.append(box);
      }
    }
    if (d && d.notebook) {
      // a notebook solid: its executed notebook, rendered in the kernel, folded by default
      const box = h("details", "np-notebook");
      box.append(h("summary", "np-section", `Executed notebook: ${d.notebook.path}`));
      const body = h("div", "np-notebook-body");
      body.innerHTML = d.notebook.html;
      box.append(body);
      detail.append(box);
    }
    const events = h("ul", "np-events");
    if (d) {
      for (const e of d.events || []) events.appendChild(h("li", "", `${e.type}: ${e.message}`));
    } else {
      for (const line of step.events || []) events.appendChild(h("li", "", line));
    }
    detail.append(h("div", "np-section", d ? "Events" : "Latest events"), events);
    const stdout = d ? d.stdout : step.stdout;
    const stderr = d ? d.stderr : step.stderr;
    if (stdout) detail.append(h("div", "np-section", "stdout"), h("pre", "np-stdout", stdout));
    if (stderr) detail.append(h("div", "np-section", "stderr"), h("pre", "np-stderr", stderr));
    if (!d) {
      detail.append(
        h("div", "np-note", "All events and output previews appear when the kernel is free."),
      );
    }
  }

  function drawMessage() {
    message.textContent = model.get("message") || "";
    message.style.display = message.textContent ? "" : "none";
  }

  function onSteps() {
    colourGraph();
    drawList();
  }
  function onRun() {
    chosen = new Set();
    localSelected = model.get("selected_step") || "";
    query.value = "";
    showPreview({});
    drawHeader();
    drawRuns();
  }
  const onPreview = () => {
    const answer = model.get("query_preview") || {};
    // an answer to an older query (or to steps picked since) is not the current selection
    if (chosen.size ? answer.query === "" : answer.query === query.value) showPreview(answer);
  };
  function onSelectedFromKernel() {
    localSelected = model.get("selected_step") || "";
    onSteps();
    drawDetail();
  }
  function onStepsChanged() {
    onSteps();
    drawToolbar();
    const full = model.get("step_detail") || {};
    if (localSelected && full.step_key !== localSelected) drawDetail(); // the summary moves on
  }
  const handlers = [
    ["svg", drawGraph],
    ["steps", onStepsChanged],
    ["selected_step", onSelectedFromKernel],
    ["step_detail", drawDetail],
    ["elapsed", onElapsed],
    ["runs", drawRuns],
    ["parent_run_id", drawRuns],
    ["run_id", onRun],
    ["query_preview", onPreview],
    ["message", drawMessage],
  ];
  handlers.push(["compact", drawCompact]);
  const headerTraits = ["status", "progress", "pipeline_name", "can_reexecute", "busy"];
  headerTraits.push("failed_selection", "definition_note", "stale_note");
  for (const name of headerTraits) {
    handlers.push([name, drawHeader]);
  }
  for (const [name, fn] of handlers) model.on(`change:${name}`, fn);
  const ticker = setInterval(() => {
    if (model.get("status") === "STARTED") drawElapsed();
  }, 100);

  onElapsed();
  drawCompact();
  drawHeader();
  drawRuns();
  drawMessage();
  drawGraph();
  drawList();
  drawDetail();

  return () => {
    clearInterval(ticker);
    clearTimeout(queryTimer);
    for (const [name, fn] of handlers) model.off(`change:${name}`, fn);
  };
}

export default { initialize, render };
