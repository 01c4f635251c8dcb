import type { Logger } from "@fractal/infra/logger";
import type { Metrics } from "@fractal/infra/metrics/metrics";
import type { DueCron } from "@fractal/infra/storage/crons";
import type { Storage } from "@fractal/infra/storage/storage";
import type { RunKwargs } from "../runs/run-kwargs.ts";
import type { CreateRunRequest, RunService } from "../runs/run-service.ts";

type Obj = Record<string, unknown>;

export interface CronScheduler {
  start(): void;
  stop(): Promise<void>;
}

/** The run a cron tick creates, from the payload stored with the cron. */
export function cronRunRequest(cron: DueCron): CreateRunRequest {
  const p = cron.payload as Obj & Partial<RunKwargs> & { multitask_strategy?: CreateRunRequest["multitask_strategy"] };
  return {
    assistant_id: cron.assistant_id,
    kwargs: {
      input: p.input,
      config: p.config,
      context: p.context,
      stream_mode: ["values"],
      interrupt_before: p.interrupt_before,
      interrupt_after: p.interrupt_after,
      durability: p.durability,
      webhook: p.webhook,
      ...(cron.thread_id ? {} : { on_completion: cron.on_run_completed }),
    },
    metadata: { ...((p.metadata as Obj | undefined) ?? {}), cron_id: cron.cron_id, cron_tick: cron.tick },
    multitask_strategy: p.multitask_strategy,
    thread_metadata: p.thread_metadata as Obj | undefined,
  };
}

/**
 * Fires due cron ticks: each process polls, claims due crons in the database (a tick is claimed by
 * one process only) and creates their runs. Stateless crons get a new thread per tick.
 */
export function createCronScheduler(options: {
  storage: Storage;
  runs: RunService;
  logger: Logger;
  pollMs?: number;
  /** Cron ticks go here. */
  metrics?: Metrics;
}): CronScheduler {
  const { storage, runs, logger } = options;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;

  const pass = async () => {
    for (const cron of await storage.crons.claimDue(50)) {
      try {
        const run = await runs.create(cron.thread_id ?? undefined, cronRunRequest(cron));
        options.metrics?.cronTicks.inc({ outcome: "started" });
        logger.info("cron fired", { cron_id: cron.cron_id, tick: cron.tick, run_id: run.run_id });
      } catch (error) {
        options.metrics?.cronTicks.inc({ outcome: "failed" });
        logger.warn("cron tick could not start its run", { cron_id: cron.cron_id, tick: cron.tick, error });
      }
    }
  };

  return {
    start() {
      timer ??= setInterval(() => {
        if (running) return;
        running = pass()
          .catch((error) => logger.error("cron pass failed", { error }))
          .finally(() => {
            running = undefined;
          });
      }, options.pollMs ?? 1000);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
