// The layout in a Web Worker (bundled as assets/layout_worker.js), so that a
// large graph's layout never blocks the page: posts back layoutGraph's
// result for each {nodes, edges, box} it receives.
import { layoutGraph } from './layout.js';

self.onmessage = ({ data }) => {
  try {
    self.postMessage({ layout: layoutGraph(data.nodes, data.edges, data.box) });
  } catch (error) {
    self.postMessage({ error: String(error?.stack ?? error) });
  }
};
