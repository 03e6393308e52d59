/**
 * The connection test every adapter runs (DESIGN §2, `POST …/sources/test`): network → authentication →
 * authorization → query, each yielded as it completes; the first failure is reported with its message and every
 * later step as skipped, so the user sees exactly where it broke.
 */
import type { ConnectionTestStep } from "./contract";
import { errorMessage, redact } from "./errors";

export interface ConnectionCheck {
  step: ConnectionTestStep["step"];
  /** Resolves to the success message; throws with a message a user can act on. */
  run(): Promise<string>;
}

export async function* runConnectionChecks(
  checks: ConnectionCheck[],
  secrets: Array<string | undefined> = [],
): AsyncGenerator<ConnectionTestStep> {
  let failed: string | null = null;
  for (const check of checks) {
    if (failed) {
      yield { step: check.step, status: "skipped", message: `Skipped: the ${failed} step failed` };
      continue;
    }
    try {
      yield { step: check.step, status: "success", message: redact(await check.run(), secrets) };
    } catch (error) {
      failed = check.step;
      yield { step: check.step, status: "failed", message: redact(errorMessage(error), secrets) };
    }
  }
}
