// htm bound to preact's h: components are written as tagged templates,
// with no JSX compile step.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
