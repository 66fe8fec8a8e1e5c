/**
 * Work started at most once, when first asked for, and awaited later or never: a failure before anyone
 * awaits it is not an unhandled rejection, and whoever awaits it still sees the failure.
 */
export class StartOnce<T> {
  private task: Promise<T> | undefined;

  constructor(private readonly run: () => Promise<T>) {}

  get started(): boolean {
    return this.task !== undefined;
  }

  /** Starts the work the first time; the same promise every time. */
  start(): Promise<T> {
    if (!this.task) {
      this.task = this.run();
      this.task.catch(() => {});
    }
    return this.task;
  }
}
