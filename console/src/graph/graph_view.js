// The run graph in SVG. Laid out once (in a Web Worker) and drawn once;
// afterwards `update` changes only the class of the nodes and edges it is
// given, so a large run's events never rebuild the drawing. Wheel zooms,
// dragging pans, clicking a node calls `onSelect(nodeId)`.
const LAYOUT_WORKER = '/assets/layout_worker.js';
const NODE_WIDTH = 168;
const NODE_HEIGHT = 40;

/** layoutGraph(nodes, edges) in a Web Worker of its own. */
function layoutOffThread(nodes, edges) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LAYOUT_WORKER, { type: 'module' });
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new Error(`graph layout failed: ${data.error}`));
      else resolve(data.layout);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`graph layout failed: ${event.message}`));
    };
    worker.postMessage({ nodes: nodes.map(({ id }) => ({ id })),
      edges: edges.map(({ source, target }) => ({ source, target })),
      box: { width: NODE_WIDTH, height: NODE_HEIGHT } });
  });
}

const SVG = 'http://www.w3.org/2000/svg';
const MAX_TITLE_CHARS = 22;

function svgElement(name, attributes = {}) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function pathOf(points) {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

export class GraphView {
  /**
   * Lays the graph out and draws it.
   * @param {HTMLElement} container  emptied and filled with the SVG
   * @param {import('./run_state.js').RunState} state
   * @param {(nodeId: string) => void} onSelect
   * @returns {Promise<GraphView>}
   */
  static async create(container, state, onSelect) {
    const started = performance.now();
    const layout = await layoutOffThread([...state.nodes.values()], state.edges);
    performance.measure('flowgrid.layout', { start: started, detail: { nodes: state.nodes.size } });
    return new GraphView(container, state, layout, onSelect);
  }

  constructor(container, state, layout, onSelect) {
    this.state = state;
    const nodes = [...state.nodes.values()];
    this.width = Math.max(layout.width, 1);
    this.height = Math.max(layout.height, 1);

    this.svg = svgElement('svg', { class: 'graph', role: 'img',
      'aria-label': `workflow graph of ${nodes.length} nodes` });
    const defs = svgElement('defs');
    for (const state of ['pending', 'taken', 'skipped']) {
      const marker = svgElement('marker', { id: `arrow-${state}`, viewBox: '0 0 10 10', refX: '9',
        refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
      marker.append(svgElement('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow ${state}` }));
      defs.append(marker);
    }
    this.svg.append(defs);
    this.viewport = svgElement('g');
    this.svg.append(this.viewport);

    const edgeLayer = svgElement('g', { class: 'edges' });
    this.edgeElements = state.edges.map((edge, index) => {
      const path = svgElement('path', { d: pathOf(layout.edges[index]),
        'data-source': edge.source, 'data-target': edge.target });
      edgeLayer.append(path);
      return path;
    });
    const nodeLayer = svgElement('g', { class: 'nodes' });
    this.nodeElements = new Map();
    for (const node of nodes) {
      const { x, y } = layout.nodes.get(node.id);
      const group = svgElement('g', { 'data-node-id': node.id,
        transform: `translate(${(x - NODE_WIDTH / 2).toFixed(1)},${(y - NODE_HEIGHT / 2).toFixed(1)})` });
      group.append(svgElement('rect', { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }));
      const title = svgElement('text', { x: 10, y: 17, class: 'title' });
      title.textContent = node.title.length > MAX_TITLE_CHARS
        ? `${node.title.slice(0, MAX_TITLE_CHARS - 1)}…` : node.title;
      const kind = svgElement('text', { x: 10, y: 32, class: 'kind' });
      kind.textContent = node.parent ? `${node.kind} in ${node.parent}` : node.kind;
      const tooltip = svgElement('title');
      tooltip.textContent = `${node.title} (${node.id})`;
      group.append(title, kind, tooltip);
      nodeLayer.append(group);
      this.nodeElements.set(node.id, group);
    }
    this.viewport.append(edgeLayer, nodeLayer);
    container.replaceChildren(this.svg);

    this.selected = '';
    this.update({ nodes: new Set(state.nodes.keys()), edges: new Set(state.edges.keys()) });
    this.listen(container, onSelect);
    this.fit(container);
  }

  /** Repaints the given nodes and edges from the state ({nodes: Set<id>, edges: Set<index>}). */
  update(changes) {
    for (const id of changes.nodes) {
      const element = this.nodeElements.get(id);
      const className = `node ${this.state.nodes.get(id).state}${id === this.selected ? ' selected' : ''}`;
      if (element && element.getAttribute('class') !== className) element.setAttribute('class', className);
    }
    for (const index of changes.edges) {
      const edge = this.state.edges[index];
      const element = this.edgeElements[index];
      const className = `edge ${edge.state}`;
      if (element.getAttribute('class') !== className) {
        element.setAttribute('class', className);
        element.setAttribute('marker-end', `url(#arrow-${edge.state})`);
      }
    }
  }

  select(id) {
    const previous = this.selected;
    this.selected = id;
    this.update({ nodes: new Set([previous, id].filter((n) => this.nodeElements.has(n))),
      edges: new Set() });
  }

  /** Scales and centers the whole graph into the container. */
  fit(container) {
    this.moved = false;
    const box = container.getBoundingClientRect();
    const scale = Math.min(1, (box.width || 800) / this.width, (box.height || 500) / this.height);
    this.scale = Math.max(scale, 0.05);
    this.x = ((box.width || 800) - this.width * this.scale) / 2;
    this.y = Math.max(0, ((box.height || 500) - this.height * this.scale) / 2);
    this.applyTransform();
  }

  applyTransform() {
    this.viewport.setAttribute('transform',
      `translate(${this.x.toFixed(1)},${this.y.toFixed(1)}) scale(${this.scale.toFixed(4)})`);
  }

  listen(container, onSelect) {
    let drag = null;
    this.svg.addEventListener('click', (event) => {
      if (drag?.moved) return;
      const group = event.target.closest?.('[data-node-id]');
      if (group) onSelect(group.getAttribute('data-node-id'));
    });
    this.svg.addEventListener('wheel', (event) => {
      event.preventDefault();
      const box = this.svg.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * 0.0015);
      const px = event.clientX - box.left;
      const py = event.clientY - box.top;
      const scale = Math.min(4, Math.max(0.02, this.scale * factor));
      this.x = px - ((px - this.x) * scale) / this.scale;
      this.y = py - ((py - this.y) * scale) / this.scale;
      this.scale = scale;
      this.moved = true;
      this.applyTransform();
    }, { passive: false });
    this.svg.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY, startX: this.x, startY: this.y, moved: false };
    });
    this.svg.addEventListener('pointermove', (event) => {
      if (!drag || event.buttons === 0) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (!drag.moved) return;
      this.moved = true;
      this.x = drag.startX + dx;
      this.y = drag.startY + dy;
      this.applyTransform();
    });
    this.svg.addEventListener('pointerup', () => {
      // The click that ends a drag is not a selection.
      setTimeout(() => { drag = null; }, 0);
    });
    this.svg.addEventListener('dblclick', () => this.fit(container));
    // The node panel narrows the container: fit again, unless the user
    // zoomed or panned.
    new ResizeObserver(() => {
      if (!this.moved) this.fit(container);
    }).observe(container);
  }
}
