/**
 * `--max-requests`: how many requests the run may send to registries and their token services, retries
 * included. Once spent, a request is not sent; it throws, so the resolver's read ends at once as unknown
 * (never as a refusal or a 404, which a credential chain would read as the registry's answer).
 */

/** Thrown in place of a request the budget has no room for. */
export class RequestBudgetSpentError extends Error {
  constructor(max: number) {
    super(`not asked: the run's ${max} registry requests (--max-requests) were spent`);
    this.name = "RequestBudgetSpentError";
  }
}

/** The run's budget of requests; none by default. */
export class RequestBudget {
  private sent = 0;
  private refusedCount = 0;

  constructor(private readonly max: number = Number.POSITIVE_INFINITY) {}

  /** Spends one request, or throws when none is left. */
  take(): void {
    if (this.sent >= this.max) {
      this.refusedCount++;
      throw new RequestBudgetSpentError(this.max);
    }
    this.sent++;
  }

  /** How many requests were not sent because the budget was spent. */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * One line for stderr once the budget stopped a request, else null. It names no count of requests not
   * sent: one refused may stand for many (a host whose version check was refused is not asked again).
   */
  warning(): string | null {
    if (this.refusedCount === 0) return null;
    return (
      `registry: --max-requests ${this.max}: every request it allows was sent, and more were needed: ` +
      "containers whose verdict needed them are unknown and left alone (the plan says which), and a new " +
      "image may lack its build time; raise --max-requests or narrow the scope"
    );
  }
}
