/** What the CronJob verbs run with: streams, kubectl, colour and a clock; they resolve no image. */

import type { Kubectl } from "../adapters/kubectl.js";
import { type ConnectionOptions, connect } from "../connection.js";
import type { Io } from "../io.js";
import type { StreamColors } from "../output/color.js";
import { type Clock, systemClock } from "../util/clock.js";

export interface CronDeps {
  io: Io;
  kubectl: Kubectl;
  colors: StreamColors;
  clock: Clock;
}

export function createCronDeps(io: Io, options: ConnectionOptions): CronDeps {
  const { kubectl, colors } = connect(io, options);
  return { io, kubectl, colors, clock: systemClock };
}
