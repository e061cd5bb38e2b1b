/*
 * Small DOM helpers for the playground: elements built with text content only (never innerHTML from call
 * data: transcripts and agent text are whatever a caller or a model said), and number formats.
 */

/**
 * Creates an element.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | object | undefined>} [attributes] `class`, `title`, `data-*`, `style` (an object)
 * @param {...(Node | string | undefined | false)} children
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    // Styles through the CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    if (name === 'style' && typeof value === 'object') Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === false || child === '') continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's children. */
export function replaceChildren(element, ...children) {
  element.replaceChildren(...children.filter((child) => child !== undefined && child !== false));
}

/** Call time as `m:ss.s` (`0:04.2`). */
export function formatCallTime(ms) {
  const total = Math.max(0, ms) / 1000;
  const minutes = Math.floor(total / 60);
  const seconds = total - minutes * 60;
  return `${minutes}:${seconds.toFixed(1).padStart(4, '0')}`;
}

/** Milliseconds as `420 ms` or `1.25 s`. */
export function formatMs(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
