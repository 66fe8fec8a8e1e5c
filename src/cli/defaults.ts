/** Every flag's default, written once: commander shows it in --help, the option parsers apply it. */
import { cronDefaults } from "../cron/core/defaults.js";

export const defaults = {
  output: "table",
  color: "auto",
  /** plan and apply pull with the local docker; the CronJob asks the registry (no Docker in the cluster). */
  resolver: "docker",
  concurrency: "4",
  pullTimeout: "5m",
  registryTimeout: "10s",
  registryRetries: "2",
  waitTimeout: "5m",
  /** Each webhook attempt; three attempts at most (adapters/webhook.ts). */
  webhookTimeout: "10s",
  /** The way that keeps the most capacity and honours budgets, per controller. */
  strategy: "auto",
  cron: {
    name: cronDefaults.name,
    schedule: cronDefaults.schedule,
    resolver: "registry",
    runTimeout: "40m",
    pollInterval: "2s",
  },
} as const;
