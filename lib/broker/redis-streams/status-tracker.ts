import type { BrokerStatus } from '../broker.interface.js';

type StatusListener = (status: BrokerStatus, error?: Error) => void;

/**
 * Folds the health of every connection (the publisher, each reader) into one status:
 * 'down' once when the first one breaks, 'up' once when the last one is back, so a Redis
 * restart that drops all of them is reported as one outage.
 */
export class StatusTracker {
  private readonly broken = new Set<string>();
  private readonly listeners: StatusListener[] = [];

  constructor(private readonly report: (error: unknown) => void) {}

  get isUp(): boolean {
    return this.broken.size === 0;
  }

  on(listener: StatusListener): void {
    this.listeners.push(listener);
  }

  down(component: string, error?: Error): void {
    if (this.broken.has(component)) return;
    this.broken.add(component);
    if (this.broken.size === 1) this.emit('down', error);
  }

  up(component: string): void {
    if (this.broken.delete(component) && this.broken.size === 0) this.emit('up');
  }

  private emit(status: BrokerStatus, error?: Error): void {
    for (const listener of this.listeners) {
      try {
        listener(status, error);
      } catch (thrown) {
        this.report(thrown);
      }
    }
  }
}
