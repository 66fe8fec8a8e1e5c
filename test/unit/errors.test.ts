import { describe, expect, it } from "vitest";
import {
  endedBeforeSignal,
  endsInterrupted,
  failureMessage,
  InterruptedError,
  PartialFailureError,
  ToolFailedError,
} from "../../src/errors.js";

describe("what a failed run ends with once a signal came", () => {
  it("whatever broke on its way out reads as the interruption", () => {
    const broken = new ToolFailedError("kubectl get exited with signal SIGTERM");
    expect(endsInterrupted(broken, true)).toBe(true);
    expect(failureMessage(broken, true)).toBe("interrupted");
    expect(failureMessage(broken, false)).toBe("kubectl get exited with signal SIGTERM");
  });

  it("an interruption keeps its own message", () => {
    const stopped = new InterruptedError("interrupted: no further restarts were started");
    expect(endsInterrupted(stopped, false)).toBe(true);
    expect(failureMessage(stopped, true)).toBe("interrupted: no further restarts were started");
  });

  it("the cluster lost before the signal (the restarts stopped, their Events still being recorded) stays the cause", () => {
    const lost = endedBeforeSignal(new ToolFailedError("cannot reach the cluster: connection refused"));
    expect(endsInterrupted(lost, true)).toBe(false);
    expect(failureMessage(lost, true)).toBe("cannot reach the cluster: connection refused");
  });

  it("restarts that failed before the signal stay failed restarts", () => {
    const failed = new PartialFailureError("some planned pods were not restarted; see above");
    expect(endsInterrupted(failed, true)).toBe(false);
    expect(failureMessage(failed, true)).toBe("some planned pods were not restarted; see above");
  });
});

describe("a credential a failure quotes back", () => {
  it("is left out of a URL's user info, to its last @; identities, digests and plain URLs are kept", () => {
    const quoted = new ToolFailedError(
      'kubectl get failed: Error from server (BadRequest): unable to parse requirement: Invalid value: "https://deploy:s3cr3t@registry.lan/x"',
    );
    expect(failureMessage(quoted, false)).toBe(
      'kubectl get failed: Error from server (BadRequest): unable to parse requirement: Invalid value: "https://…@registry.lan/x"',
    );
    for (const password of ["p@ss", "AbC/dEf+gh==", "pa#ss", "pa?ss", "it's"]) {
      const message = `context "https://admin:${password}@k8s.lan:6443" not found`;
      expect(failureMessage(new ToolFailedError(message), false)).toBe(
        'context "https://…@k8s.lan:6443" not found',
      );
    }
    for (const kept of [
      'pods is forbidden: User "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_dev/alice@example.com" cannot list',
      'pods is forbidden: User "oidc:alice@example.com" cannot list',
      "context shop/api-ocp-example-com:6443/alice@example.com",
      "registry.lan:5000/shop/web@sha512:0e02 from https://registry.lan:5000/v2/",
      "at file:///home/me/.pnpm/kubectl-autoupdate@1.2.0/bin.js:3:1",
      "pod shop/web runs docker-pullable://nginx@sha256:0e02aa from the node's cache",
      "see https://registry.lan/pkg@1.2 or git@github.com:shop/web.git",
    ]) {
      expect(failureMessage(new ToolFailedError(kept), false)).toBe(kept);
    }
  });
});
