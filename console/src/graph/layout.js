// Lays a run's graph out once with dagre (layered, left to right): node
// boxes and edge polylines in SVG user units. Nodes inside iterations and
// loops are laid out beside the others, reached by their container's edges.
import dagre from '@dagrejs/dagre';

/**
 * @param {{id: string}[]} nodes
 * @param {{source: string, target: string}[]} edges
 * @param {{width: number, height: number}} box  every node's size
 * @returns {{nodes: Map<string, {x, y}>, edges: {x, y}[][], width: number, height: number}}
 *   node centers, each edge's points (in the order of `edges`), the extent.
 */
export function layoutGraph(nodes, edges, box) {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, edgesep: 8, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: box.width, height: box.height });
  edges.forEach((edge, index) => {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) {
      graph.setEdge(edge.source, edge.target, {}, String(index));
    }
  });
  dagre.layout(graph);
  const centers = new Map(nodes.map((node) => {
    const { x, y } = graph.node(node.id);
    return [node.id, { x, y }];
  }));
  const points = edges.map((edge, index) =>
    graph.edge({ v: edge.source, w: edge.target, name: String(index) })?.points ?? []);
  const { width, height } = graph.graph();
  return { nodes: centers, edges: points, width, height };
}
