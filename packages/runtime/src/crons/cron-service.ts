import { AppError } from "@fractal/infra/errors";
import { isUuid } from "@fractal/infra/ids";
import type { Cron, CronFilter, CronInput, CronPatch } from "@fractal/infra/storage/crons";
import type { Storage } from "@fractal/infra/storage/storage";
import { defaultAssistantId } from "../default-assistants.ts";
import type { GraphRegistry } from "../registry.ts";
import type { CreateRunRequest, RunService } from "../runs/run-service.ts";

type Obj = Record<string, unknown>;

/** The fields of a cron request that are the cron's own; every other field is its ticks' run payload. */
const SETTINGS = ["schedule", "timezone", "end_time", "enabled", "metadata", "on_run_completed"] as const;
type SettingKey = (typeof SETTINGS)[number];

/** A cron request split into the cron's own settings and its run payload (all but the assistant). */
export function splitCronBody<T extends Partial<Record<SettingKey | "assistant_id", unknown>>>(body: T) {
  const settings: Partial<Record<string, unknown>> = {};
  const payload: Obj = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || key === "assistant_id") continue;
    if ((SETTINGS as readonly string[]).includes(key)) settings[key] = value;
    else payload[key] = value;
  }
  return { settings: settings as Pick<T, SettingKey>, payload };
}

type RunConfig = { configurable?: Obj } | undefined;

/**
 * A patch that replaces the run config keeps who the ticks run as (`langgraph_auth_*`, set when the
 * cron was created). Other payload fields merge into the stored payload, so they need nothing.
 */
function keepAuthUser(payload: Obj, stored: Obj): Obj {
  if (payload.config === undefined) return payload;
  const storedConfigurable = (stored.config as RunConfig)?.configurable ?? {};
  const auth = Object.entries(storedConfigurable).filter(([key]) => key.startsWith("langgraph_auth_"));
  if (auth.length === 0) return payload;
  const config = payload.config as NonNullable<RunConfig>;
  return { ...payload, config: { ...config, configurable: { ...config.configurable, ...Object.fromEntries(auth) } } };
}

/** What an authorized cron creation stores: the cron's settings and its ticks' run as the caller may create it. */
export interface AuthorizedCron {
  settings: Omit<CronInput, "assistant_id" | "thread_id" | "payload">;
  run: CreateRunRequest;
  /** The ticks run as the caller: the authorized config, metadata and thread stamp are stored. */
  asCaller: boolean;
}

export interface CronService {
  /**
   * Creates a cron: the webhook URL and the thread are checked first, then `authorize` (the caller's
   * checks) returns the settings and the ticks' run, whose assistant and settings are checked by the
   * run rules before the cron is stored.
   */
  create(
    input: { thread_id?: string; webhook?: string; payload: Obj },
    authorize: () => Promise<AuthorizedCron>,
  ): Promise<Cron>;
  /**
   * Patches a cron: the webhook URL is checked before `authorize` (the caller's checks), which
   * returns the settings to write and the cron as stored; a new run config keeps who the ticks run as.
   */
  patch(
    cronId: string,
    input: { webhook?: string; payload: Obj },
    authorize: () => Promise<{ settings: CronPatch; stored: Cron }>,
  ): Promise<Cron>;
  /** A filter's `assistant_id` as stored: an assistant id, or a graph id for its default assistant. */
  filter<F extends CronFilter>(filter: F): F;
}

/** Cron rules the routes share; the cron store does the rest. */
export function createCronService(storage: Storage, graphs: GraphRegistry, runs: RunService): CronService {
  return {
    async create({ thread_id, webhook, payload }, authorize) {
      runs.checkWebhook(webhook);
      if (thread_id) await storage.threads.get(thread_id);
      const { settings, run, asCaller } = await authorize();
      const assistant = await runs.checkAssistant(run);
      return storage.crons.create({
        ...settings,
        assistant_id: assistant.assistant_id,
        thread_id,
        payload: asCaller
          ? { ...payload, config: run.kwargs.config, metadata: run.metadata, thread_metadata: run.thread_metadata }
          : payload,
      });
    },
    async patch(cronId, { webhook, payload }, authorize) {
      runs.checkWebhook(webhook);
      const { settings, stored } = await authorize();
      return storage.crons.patch(cronId, {
        ...settings,
        ...(Object.keys(payload).length > 0 ? { payload: keepAuthUser(payload, stored.payload) } : {}),
      });
    },
    filter(filter) {
      const value = filter.assistant_id;
      if (value === undefined || isUuid(value)) return filter;
      if (graphs.has(value)) return { ...filter, assistant_id: defaultAssistantId(value) };
      // Never a comparison the uuid column would refuse.
      throw new AppError(
        "validation_failed",
        `body.assistant_id: '${value}' is neither an assistant id nor a graph id`,
      );
    },
  };
}
