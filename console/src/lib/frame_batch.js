// Collects items (run events) and hands them over at most once per
// animation frame, so a burst of thousands of events costs one repaint.

export class FrameBatch {
  /** @param {(items: any[]) => void} flush */
  constructor(flush) {
    this.flushItems = flush;
    this.items = [];
    this.frame = 0;
  }

  push(item) {
    this.items.push(item);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const items = this.items;
    this.items = [];
    if (items.length) this.flushItems(items);
  }

  cancel() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.items = [];
  }
}
