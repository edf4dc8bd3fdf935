// SPDX-License-Identifier: AGPL-3.0-or-later
/** Process entry point of the `mcgw` command (bin/mcgw.js loads the compiled copy). */
import { main } from './cli.js';

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`mcgw: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
