export { compileAgent, STT_FINAL_TIMEOUT_MS } from './compile-agent.js';
export { toMermaid } from './mermaid.js';
export type * from './machine-config.js';
export { ROOT_ID } from './regions.js';
