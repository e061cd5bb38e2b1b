import type { Activation, ActivationListener } from './types.js';

/**
 * The listeners of a registry's activations, each activation told once: both registries hear an activation
 * more than once (the process that made it, then the poll or the pub/sub message), so the last `seq` seen per
 * environment and agent filters the repeats. A listener that throws does not stop the others.
 */
export class ActivationListeners {
  private readonly listeners = new Set<ActivationListener>();
  private readonly seen = new Map<string, number>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: ActivationListener): void {
    this.listeners.add(listener);
  }

  delete(listener: ActivationListener): void {
    this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }

  /** Tells every listener, unless this activation (or a later one of the same agent) was told already. */
  tell(activation: Activation): void {
    const key = `${activation.env}/${activation.agent}`;
    if ((this.seen.get(key) ?? 0) >= activation.seq) return;
    this.seen.set(key, activation.seq);
    for (const listener of this.listeners) {
      try {
        listener(activation);
      } catch {
        // A listener's failure is its own; the others are still told.
      }
    }
  }

  /** Remembers an activation as told without telling anyone (what a process saw when it started watching). */
  markSeen(activation: Activation): void {
    const key = `${activation.env}/${activation.agent}`;
    if ((this.seen.get(key) ?? 0) < activation.seq) this.seen.set(key, activation.seq);
  }
}
