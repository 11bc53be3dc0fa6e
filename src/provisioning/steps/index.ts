import type { StepName } from "../step-names.ts";
import { cacheStep } from "./cache.ts";
import { configurationStep } from "./configuration.ts";
import { databaseStep } from "./database.ts";
import { runtimeStep } from "./runtime.ts";
import { smokeTestStep } from "./smoke-test.ts";
import type { Step } from "./step-context.ts";

export const STEPS: Record<StepName, Step> = {
  database: databaseStep,
  cache: cacheStep,
  configuration: configurationStep,
  runtime: runtimeStep,
  smoke_test: smokeTestStep,
};
