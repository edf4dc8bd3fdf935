// SPDX-License-Identifier: AGPL-3.0-or-later
/** The error an AWS SDK v3 call rejected with, for tests that look at its code and status. */
export type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; $response?: unknown };

/** Awaits `p` and answers the error it rejected with; throws when it succeeded. */
export async function errorOf(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  throw new Error('expected an error');
}
