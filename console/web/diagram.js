// A journey's flow as an SVG: the nodes and edges GET /v1/journeys/NAME/graph
// gives (the diagram `tutti graph` draws), laid out by dagre, each step with
// how many reached it and wait there now, each way out of a split, a
// `choose best` or a wait for an event with how many took it.
import { h, num } from "/console/app.js";

const LINE = 15; // px per label line
const CHAR = 7; // px per character, at the diagram's font size

function nodeLines(n) {
  const lines = n.label.split("\n");
  const counts = [];
  if (n.entered !== undefined) counts.push(`entered ${num(n.entered)}`);
  if (n.reached !== undefined) counts.push(`reached ${num(n.reached)}`);
  if (n.waiting_now) counts.push(`waiting ${num(n.waiting_now)}`);
  if (n.completed !== undefined) counts.push(`completed ${num(n.completed)}`);
  if (n.exited !== undefined) counts.push(`exited ${num(n.exited)}`);
  return { lines, counts: counts.join(" · ") };
}

const edgeText = (e) => [e.label, e.customers !== undefined ? `${num(e.customers)} customers` : ""].filter(Boolean).join(": ");

export function diagram(graph) {
  if (!window.dagre) return h("p", { class: "error", role: "alert" }, "The diagram's layout library did not load.");
  const g = new window.dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 40, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    const { lines, counts } = nodeLines(n);
    const widest = Math.max(...lines.map((l) => l.length), counts.length);
    g.setNode(n.id, { width: Math.min(360, widest * CHAR + 24), height: (lines.length + (counts ? 1 : 0)) * LINE + 16, node: n, lines, counts });
  }
  graph.edges.forEach((e, i) => {
    const text = edgeText(e);
    g.setEdge(e.from, e.to, { label: text, width: text.length * (CHAR - 1), height: text ? LINE : 0, labelpos: "c", edge: e }, "e" + i);
  });
  window.dagre.layout(g);
  const { width, height } = g.graph();
  const svg = h(
    "svg",
    { viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, width: Math.ceil(width), height: Math.ceil(height), role: "img", "aria-labelledby": "diagram-title", class: "diagram" },
    h("title", { id: "diagram-title" }, `Flow of ${graph.name} version ${graph.version}; the Steps table below gives the same counts.`),
    h("defs", {}, h("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, h("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" })))
  );
  for (const id of g.edges()) {
    const e = g.edge(id);
    const d = e.points.map((p, i) => `${i ? "L" : "M"} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
    svg.append(h("path", { d, class: "edge" + (e.edge.dashed ? " dashed" : ""), "marker-end": "url(#arrow)" }));
    if (e.label) svg.append(h("text", { x: e.x, y: e.y + 4, class: "edge-label", "text-anchor": "middle", "data-edge": `${e.edge.from}-${e.edge.to}` }, e.label));
  }
  for (const id of g.nodes()) {
    const v = g.node(id);
    const x = v.x - v.width / 2, y = v.y - v.height / 2;
    const group = h("g", { class: "node " + v.node.kind, "data-node": id, "data-step": v.node.step || null }, h("rect", { x, y, width: v.width, height: v.height, rx: v.node.kind === "decision" ? 2 : 8 }));
    v.lines.forEach((line, i) => group.append(h("text", { x: v.x, y: y + 20 + i * LINE, "text-anchor": "middle" }, line)));
    if (v.counts) group.append(h("text", { x: v.x, y: y + 20 + v.lines.length * LINE, "text-anchor": "middle", class: "count", "data-counts": id }, v.counts));
    svg.append(group);
  }
  return h("div", { class: "scroll diagram-box" }, svg);
}
